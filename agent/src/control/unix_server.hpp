// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "bpf/unique_fd.hpp"

#include <functional>
#include <map>
#include <string>

namespace minewatch::control {

/// A Unix stream socket speaking JSON lines: each line a client writes is
/// handed to the handler, whose answer goes back as one line. Non-blocking,
/// driven by the agent's event loop through fd() and the per-client fds, so
/// the agent stays single-threaded and needs no locks.
class UnixServer {
public:
  using Handler = std::function<std::string(const std::string &request)>;

  /// Creates the socket (and its directory, 0755), replacing a stale socket
  /// file left by a crashed agent but refusing to steal a live one.
  UnixServer(const std::string &path, Handler handler);
  UnixServer(const UnixServer &) = delete;
  UnixServer &operator=(const UnixServer &) = delete;
  ~UnixServer();

  [[nodiscard]] int listenFd() const { return listen_.get(); }
  /// Accepts pending connections; returns their fds for the caller to watch.
  std::vector<int> acceptAll();
  /// Reads what a client sent and answers complete lines. Returns false when
  /// the client is gone (the fd is then closed and forgotten).
  bool serve(int fd);
  [[nodiscard]] const std::string &path() const { return path_; }

  static constexpr std::size_t kMaxRequestBytes = 64 * 1024;

private:
  void sendAll(int fd, const std::string &data);

  std::string path_;
  Handler handler_;
  bpf::UniqueFd listen_;
  std::map<int, std::string> pending_; // fd -> partial line
};

} // namespace minewatch::control
