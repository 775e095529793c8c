// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "bpf/unique_fd.hpp"

#include <string>
#include <vector>

namespace minewatch::lists {

/// Tells when anything under a set of paths may have changed (inotify).
/// Watches directories, never files: a directory path is watched itself, a
/// file path through its parent. Editors and `kubectl` replace files by
/// rename, and the kubelet updates a ConfigMap volume by swapping its ..data
/// link; a watch on the old file would see none of that.
/// It only says "look again"; the caller compares fingerprints, so a missed
/// or spurious event costs a reread at most.
class PathWatch {
public:
  explicit PathWatch(const std::vector<std::string> &paths);

  /// For epoll; -1 when there is nothing to watch.
  [[nodiscard]] int fd() const { return fd_.get(); }
  [[nodiscard]] std::size_t watched() const { return watched_; }
  /// Reads every pending event; true when there was at least one.
  bool drain();

private:
  bpf::UniqueFd fd_;
  std::size_t watched_ = 0;
};

} // namespace minewatch::lists
