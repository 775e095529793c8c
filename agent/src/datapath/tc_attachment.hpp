// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <bpf/libbpf.h>

namespace minewatch::datapath {

enum class TcDirection { Ingress, Egress };

/// A TC (clsact) filter running one program on one hook of one interface.
/// Creates the clsact qdisc if needed and removes only its own filter on
/// destruction, so filters of other tools on the same hook survive.
class TcAttachment {
public:
  TcAttachment(int prog_fd, int ifindex, TcDirection direction);
  TcAttachment(const TcAttachment &) = delete;
  TcAttachment &operator=(const TcAttachment &) = delete;
  ~TcAttachment();

  [[nodiscard]] unsigned progId() const { return prog_id_; }
  /// Leaves the filter in place when this object goes; the next agent's
  /// attach replaces it (same handle and priority).
  void keepAttached() { keep_ = true; }
  /// The interface is gone and took the filter with it: the destructor
  /// leaves the ifindex alone (it may be reused by another interface).
  void forgetInterface() { keep_ = true; }

  /// Removes a filter of ours a previous agent left on this hook (after
  /// shutdown: keep-attached), if there is one. True when it did.
  static bool removeLeftover(int ifindex, TcDirection direction);

private:
  bpf_tc_hook hook_{};
  bpf_tc_opts opts_{};
  unsigned prog_id_ = 0;
  bool keep_ = false;
};

} // namespace minewatch::datapath
