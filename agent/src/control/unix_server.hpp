// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "bpf/unique_fd.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace minewatch::control {

/// Who is on the other end of a connection (SO_PEERCRED at accept).
struct Peer {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  pid_t pid = 0;
};

struct ServerOptions {
  std::string path;
  std::optional<gid_t> group;    // the socket's group (default: the agent's)
  std::size_t max_clients = 256; // lowered further to stay below RLIMIT_NOFILE
  /// Output waiting this long without the client taking a byte, or a
  /// request begun this long ago and still not whole: dropped.
  std::chrono::milliseconds stall_timeout{10'000};
  /// At the cap, a client idle this long gives its place to a new one.
  std::chrono::milliseconds idle_evict_after{2'000};
};

/// What the server did with its clients, for status and tests.
struct ServerStats {
  std::size_t clients = 0;     // connected now
  std::size_t max_clients = 0; // the cap in force
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0; // turned away at the cap or the fd limit
  std::uint64_t dropped = 0; // closed by us: not reading, too much output, idle at the cap
};

/// A Unix stream socket speaking JSON lines: each line a client writes is
/// handed to the handler, whose answer goes back as one line. Driven by the
/// agent's event loop through fd() (an epoll set of its own) so the agent
/// stays single-threaded; nothing here ever waits for a client. Answers
/// queue per client and go out as the socket takes them; a client that
/// lets them pile up stops being read, and is dropped if it stays stuck.
class UnixServer {
public:
  using Handler = std::function<std::string(std::string_view request, const Peer &peer)>;
  using Log = std::function<void(const std::string &)>;

  /// Creates the socket (see bindControlSocket for what is refused).
  UnixServer(ServerOptions options, Handler handler, Log log = {});
  UnixServer(const std::string &path, Handler handler) : UnixServer(optionsFor(path), std::move(handler)) {}
  UnixServer(const UnixServer &) = delete;
  UnixServer &operator=(const UnixServer &) = delete;
  ~UnixServer();

  /// Readable when poll() has something to do.
  [[nodiscard]] int fd() const { return epoll_.get(); }
  /// Accepts, reads, answers and writes whatever is ready; never blocks.
  void poll();
  /// Drops clients stuck too long; the caller runs it every tick.
  void sweep();
  [[nodiscard]] ServerStats stats() const;
  [[nodiscard]] const std::string &path() const { return path_; }

  static constexpr std::size_t kMaxRequestBytes = 64 * 1024;
  /// Pending output above which a client's further requests wait.
  static constexpr std::size_t kPauseBytes = 256 * 1024;
  /// Pending output a client may pile up; one answer alone may be larger
  /// (a long list asked for whole), but nothing may queue behind it.
  static constexpr std::size_t kMaxPendingBytes = 4 * 1024 * 1024;
  /// Descriptors kept free for everything else the agent opens.
  static constexpr std::size_t kFdReserve = 128;

private:
  static ServerOptions optionsFor(const std::string &path) {
    ServerOptions options;
    options.path = path;
    return options;
  }
  using Clock = std::chrono::steady_clock;
  struct Client {
    bpf::UniqueFd fd;
    Peer peer;
    std::string in; // bytes read; from in_pos on, not yet answered
    std::size_t in_pos = 0;
    std::deque<std::string> out; // answers not yet sent; the first from out_sent
    std::size_t out_sent = 0;
    std::size_t pending = 0;           // bytes in out not yet sent
    Clock::time_point last_progress;   // the last byte either way
    Clock::time_point request_started; // the first byte of the request not yet whole
    bool eof = false;                  // the client will send no more
    bool closing = false;              // answer what is queued, then close
    bool overflow = false;             // an answer would have queued behind too much
    std::uint32_t interest = 0;        // what epoll watches for it
  };

  void acceptSome();
  void refuse(int fd);
  bool evictIdle();
  void service(Client &client, std::uint32_t events);
  bool readSome(Client &client);
  bool answerOne(Client &client);
  static bool unanswered(const Client &client) { return client.in.size() > client.in_pos; }
  void queue(Client &client, std::string data);
  bool flush(Client &client);
  void updateInterest(Client &client);
  void drop(int fd, const std::string &why);
  void watchListen(bool on);

  std::string path_;
  Handler handler_;
  Log log_;
  std::size_t max_clients_;
  std::chrono::milliseconds stall_timeout_;
  std::chrono::milliseconds idle_evict_after_;
  bpf::UniqueFd listen_;
  bpf::UniqueFd epoll_;
  bpf::UniqueFd spare_; // given up at EMFILE so the excess can be told no
  bool listening_ = false;
  std::map<int, Client> clients_;
  ServerStats stats_;
  Clock::time_point last_log_{};
  std::uint64_t unlogged_ = 0;
};

} // namespace minewatch::control
