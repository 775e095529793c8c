// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The control socket on disk. It can change block rules, so its mode and
// group are set explicitly (the agent's umask is nobody's decision), and
// the path it is told to use is never taken from something else living there.
#include "control/socket_file.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace minewatch::control {

namespace {
sockaddr_un addressOf(const std::string &path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof sa.sun_path)
    throw std::runtime_error("control socket path must be 1-" + std::to_string(sizeof sa.sun_path - 1) + " bytes: '" +
                             path + "'");
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  return sa;
}

bool someoneListens(const sockaddr_un &sa) {
  bpf::UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return probe.valid() && ::connect(probe.get(), reinterpret_cast<const sockaddr *>(&sa), sizeof sa) == 0;
}

[[noreturn]] void fail(const std::string &what, int err) { throw std::runtime_error(what + ": " + std::strerror(err)); }

/// Creates each missing directory of `dir`, root first, as 0750 whatever
/// the umask; existing ones (/run, /tmp) are not ours to change.
void makeDirectories(const std::filesystem::path &dir, std::optional<gid_t> group) {
  std::filesystem::path so_far;
  for (const auto &part : dir) {
    so_far /= part;
    if (::mkdir(so_far.c_str(), kSocketDirMode) != 0) {
      if (errno == EEXIST)
        continue;
      fail("cannot create control socket directory " + so_far.string(), errno);
    }
    if (::chmod(so_far.c_str(), kSocketDirMode) != 0)
      fail("cannot set the mode of " + so_far.string(), errno);
    // The group must be able to reach the socket through it.
    if (group && ::chown(so_far.c_str(), static_cast<uid_t>(-1), *group) != 0)
      fail("cannot give " + so_far.string() + " to group " + std::to_string(*group), errno);
  }
}

/// A socket file nobody listens on is a dead agent's: replace it. Anything
/// else at the path is someone's file, or a live agent: refuse.
void clearStaleSocket(const std::string &path, const sockaddr_un &sa) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return;
    fail("cannot check control socket path " + path, errno);
  }
  if (!S_ISSOCK(st.st_mode))
    throw std::runtime_error("control socket path " + path +
                             " exists and is not a socket; refusing to replace it (remove it or set `socket:`)");
  if (someoneListens(sa))
    throw std::runtime_error("another agent already serves " + path);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    fail("cannot remove stale control socket " + path, errno);
}
} // namespace

bpf::UniqueFd bindControlSocket(const std::string &path, std::optional<gid_t> group) {
  auto sa = addressOf(path);
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty())
    makeDirectories(dir, group);
  clearStaleSocket(path, sa);

  bpf::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    fail("control socket", errno);
  // Born owner-only, then widened to exactly kSocketMode: never, even for a
  // moment, more open than asked.
  mode_t old = ::umask(0177);
  int rc = ::bind(fd.get(), reinterpret_cast<const sockaddr *>(&sa), sizeof sa);
  int err = errno;
  ::umask(old);
  if (rc != 0)
    fail("cannot bind control socket " + path, err);
  try {
    if (group && ::chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0)
      fail("cannot give control socket " + path + " to group " + std::to_string(*group), errno);
    if (::chmod(path.c_str(), kSocketMode) != 0)
      fail("cannot set the mode of control socket " + path, errno);
    if (::listen(fd.get(), 64) != 0)
      fail("cannot listen on " + path, errno);
  } catch (...) {
    ::unlink(path.c_str()); // ours, just made: leave nothing half set up
    throw;
  }
  return fd;
}

} // namespace minewatch::control
