// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <bpf/libbpf.h>

#include "datapath/sensor_options.hpp"

#include <string>

struct xdp_program;

namespace minewatch::datapath {

/// Takes off the interface the XDP program a previous agent pinned
/// (`previous_fd`, -1: none) and left attached, if it is still there: for
/// an agent that switched its ingress to TC. True when it did.
bool removePreviousXdp(int ifindex, int previous_fd);

/// The XDP program attached to one interface through libxdp's dispatcher, so
/// other XDP programs on the interface keep running. libxdp loads the object
/// if it is not loaded yet. Detaches in the destructor.
class XdpAttachment {
public:
  /// previous_fd: the program a previous agent pinned (-1: none), taken
  /// off the interface if it is still attached there.
  XdpAttachment(bpf_object *obj, const char *prog_name, int ifindex, XdpMode mode, int previous_fd = -1);
  XdpAttachment(const XdpAttachment &) = delete;
  XdpAttachment &operator=(const XdpAttachment &) = delete;
  ~XdpAttachment();

  /// "native" or "generic": what the kernel accepted.
  [[nodiscard]] const std::string &modeName() const { return mode_name_; }
  [[nodiscard]] int ifindex() const { return ifindex_; }
  /// True when libxdp runs us from its dispatcher (other XDP programs can
  /// share the interface); false when it fell back to a direct attach,
  /// which it does when the kernel refuses freplace programs.
  [[nodiscard]] bool viaDispatcher() const { return via_dispatcher_; }
  /// Leaves the program attached when this object goes (shutdown:
  /// keep-attached); the next agent replaces it.
  void keepAttached() { keep_ = true; }
  /// The interface is gone and took the program with it: the destructor
  /// leaves the ifindex alone (it may be reused) and only lets go.
  void forgetInterface() { keep_ = true; }
  [[nodiscard]] int progFd() const;

private:
  xdp_program *prog_ = nullptr;
  int ifindex_;
  int attached_mode_ = 0; // enum xdp_attach_mode
  std::string mode_name_;
  bool via_dispatcher_ = false;
  bool keep_ = false;
};

} // namespace minewatch::datapath
