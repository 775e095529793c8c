// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "lists/path_watch.hpp"

#include <sys/inotify.h>

#include <cerrno>
#include <filesystem>
#include <set>
#include <system_error>

namespace minewatch::lists {

namespace fs = std::filesystem;

PathWatch::PathWatch(const std::vector<std::string> &paths) {
  if (paths.empty())
    return;
  fd_.reset(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!fd_.valid())
    throw std::system_error(errno, std::generic_category(), "inotify_init1");
  std::set<std::string> dirs;
  for (const auto &path : paths) {
    std::error_code ec;
    dirs.insert(fs::is_directory(path, ec) ? path : fs::path(path).parent_path().string());
  }
  constexpr std::uint32_t kMask =
      IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
  for (const auto &dir : dirs) {
    // A directory that is not there yet is caught by the caller's periodic
    // recheck; it is not worth failing the agent over.
    if (inotify_add_watch(fd_.get(), dir.c_str(), kMask) >= 0)
      ++watched_;
  }
}

bool PathWatch::drain() {
  if (!fd_.valid())
    return false;
  alignas(inotify_event) char buffer[4096];
  bool any = false;
  for (;;) {
    auto n = ::read(fd_.get(), buffer, sizeof buffer);
    if (n > 0) {
      any = true;
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return any; // EAGAIN: drained
  }
}

} // namespace minewatch::lists
