// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <bpf/libbpf.h>

namespace minewatch::datapath {

/// A TC egress (clsact) filter running one program on one interface. Creates
/// the clsact qdisc if needed and removes only its own filter on destruction,
/// so filters of other tools on the same hook survive.
class TcEgressAttachment {
public:
  TcEgressAttachment(int prog_fd, int ifindex);
  TcEgressAttachment(const TcEgressAttachment &) = delete;
  TcEgressAttachment &operator=(const TcEgressAttachment &) = delete;
  ~TcEgressAttachment();

  [[nodiscard]] unsigned progId() const { return prog_id_; }
  /// Leaves the filter in place when this object goes.
  void keepAttached() { keep_ = true; }

private:
  bpf_tc_hook hook_{};
  bpf_tc_opts opts_{};
  unsigned prog_id_ = 0;
  bool keep_ = false;
};

} // namespace minewatch::datapath
