// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "control/unix_server.hpp"

#include <fcntl.h>
#include <poll.h>
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
  if (path.size() >= sizeof sa.sun_path)
    throw std::runtime_error("control socket path too long: " + path);
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  return sa;
}

bool someoneListens(const sockaddr_un &sa) {
  bpf::UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return probe.valid() && ::connect(probe.get(), reinterpret_cast<const sockaddr *>(&sa), sizeof sa) == 0;
}
} // namespace

UnixServer::UnixServer(const std::string &path, Handler handler) : path_(path), handler_(std::move(handler)) {
  auto sa = addressOf(path);
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
      throw std::system_error(ec, "create control socket directory " + dir.string());
  }
  if (someoneListens(sa))
    throw std::runtime_error("another agent already serves " + path);
  ::unlink(path.c_str()); // stale file from an agent that died

  listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listen_.valid())
    throw std::system_error(errno, std::generic_category(), "control socket");
  // Owner and group only: the socket can add and remove block rules.
  mode_t old = ::umask(0117);
  int rc = ::bind(listen_.get(), reinterpret_cast<const sockaddr *>(&sa), sizeof sa);
  int err = errno;
  ::umask(old);
  if (rc != 0)
    throw std::system_error(err, std::generic_category(), "bind control socket " + path);
  if (::listen(listen_.get(), 16) != 0)
    throw std::system_error(errno, std::generic_category(), "listen on " + path);
}

UnixServer::~UnixServer() {
  for (auto &[fd, buffer] : pending_)
    ::close(fd);
  ::unlink(path_.c_str());
}

std::vector<int> UnixServer::acceptAll() {
  std::vector<int> fds;
  for (;;) {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
      break;
    pending_[fd] = {};
    fds.push_back(fd);
  }
  return fds;
}

void UnixServer::sendAll(int fd, const std::string &data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // A slow reader: wait briefly rather than drop half an answer.
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, 1000) == 1)
        continue;
    }
    return;
  }
}

bool UnixServer::serve(int fd) {
  auto it = pending_.find(fd);
  if (it == pending_.end())
    return false;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      it->second.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    if (n < 0 && errno == EINTR)
      continue;
    ::close(fd); // EOF or error
    pending_.erase(it);
    return false;
  }
  std::string &buffer = it->second;
  for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
    std::string line = buffer.substr(0, nl);
    buffer.erase(0, nl + 1);
    sendAll(fd, handler_(line) + "\n");
  }
  if (buffer.size() > kMaxRequestBytes) {
    sendAll(fd, R"({"ok":false,"error":"request too long"})" "\n");
    ::close(fd);
    pending_.erase(it);
    return false;
  }
  return true;
}

} // namespace minewatch::control
