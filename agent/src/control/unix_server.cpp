// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The control socket's clients. Whoever can connect must not be able to
// stall the agent's event loop (the loop also drains the sensor and serves
// health), so every read and write is non-blocking, output waits in a
// bounded per-client queue, and the number of connections stays below the
// fd limit: at the cap a newcomer is told no and closed, never left in the
// listen queue to wake the loop again and again.
#include "control/unix_server.hpp"

#include "control/socket_file.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace minewatch::control {

namespace {
constexpr std::size_t kAcceptsPerPoll = 64; // then the rest of the loop gets a turn
constexpr std::size_t kTrimAfterBytes = 16 * 1024 * 1024;
constexpr const char *kTooLong =
    R"x({"error":"request too long (a request is one line of at most 65536 bytes)","ok":false})x"
    "\n";
constexpr const char *kRefused = R"({"error":"too many control connections; try again","ok":false})"
                                 "\n";

std::size_t capBelowFdLimit(std::size_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return std::max<std::size_t>(wanted, 1);
  auto fds = static_cast<std::size_t>(limit.rlim_cur);
  auto room = fds > UnixServer::kFdReserve * 2 ? fds - UnixServer::kFdReserve : fds / 2;
  return std::max<std::size_t>(std::min(wanted, room), 1);
}

Peer peerOf(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return {}; // uid -1: may read, may not change anything
  return {cred.uid, cred.gid, cred.pid};
}

bpf::UniqueFd openSpare() { return bpf::UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }
} // namespace

UnixServer::UnixServer(ServerOptions options, Handler handler, Log log)
    : path_(options.path), handler_(std::move(handler)), log_(std::move(log)),
      max_clients_(capBelowFdLimit(options.max_clients)), stall_timeout_(options.stall_timeout),
      idle_evict_after_(options.idle_evict_after) {
  listen_ = bindControlSocket(options.path, options.group);
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid())
    throw std::system_error(errno, std::generic_category(), "epoll for the control socket");
  spare_ = openSpare();
  watchListen(true);
  if (!listening_)
    throw std::system_error(errno, std::generic_category(), "epoll_ctl for the control socket");
  stats_.max_clients = max_clients_;
}

UnixServer::~UnixServer() { ::unlink(path_.c_str()); }

ServerStats UnixServer::stats() const {
  auto out = stats_;
  out.clients = clients_.size();
  return out;
}

void UnixServer::watchListen(bool on) {
  if (on == listening_)
    return;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_.get();
  if (::epoll_ctl(epoll_.get(), on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listen_.get(), &ev) == 0)
    listening_ = on;
}

void UnixServer::poll() {
  epoll_event ready[64];
  int n = ::epoll_wait(epoll_.get(), ready, 64, 0);
  for (int i = 0; i < n; ++i) {
    int fd = ready[i].data.fd;
    if (fd == listen_.get()) {
      acceptSome();
      continue;
    }
    auto it = clients_.find(fd);
    if (it != clients_.end())
      service(it->second, ready[i].events);
  }
}

void UnixServer::sweep() {
  auto now = Clock::now();
  for (auto it = clients_.begin(); it != clients_.end();) {
    auto &c = it->second;
    ++it; // drop() erases c
    if (c.pending > 0 && now - c.last_progress > stall_timeout_)
      drop(c.fd.get(), "it has not read its answers for " + std::to_string(stall_timeout_.count()) + " ms");
    else if (c.pending == 0 && unanswered(c) && now - c.request_started > stall_timeout_)
      drop(c.fd.get(), "its request did not end within " + std::to_string(stall_timeout_.count()) + " ms");
  }
  // Listening stops only when accept failed for want of descriptors; try
  // again once a tick rather than spin on a queue we cannot empty.
  if (!spare_.valid())
    spare_ = openSpare();
  watchListen(true);
}

void UnixServer::acceptSome() {
  for (std::size_t i = 0; i < kAcceptsPerPoll; ++i) {
    int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        return;
      if ((errno == EMFILE || errno == ENFILE) && spare_.valid()) {
        // Out of descriptors: free the spare to take one connection off the
        // queue and tell it no, then hold the spare again.
        spare_.reset();
        int excess = ::accept4(listen_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (excess >= 0)
          refuse(excess); // closes it: the spare's number is free again
        spare_ = openSpare();
        if (excess < 0)
          return; // the queue is empty (accept takes the descriptor first)
        continue;
      }
      watchListen(false); // back on at the next sweep
      return;
    }
    if (clients_.size() >= max_clients_ && !evictIdle()) {
      refuse(fd);
      continue;
    }
    Client c;
    c.fd.reset(fd);
    c.peer = peerOf(fd);
    c.last_progress = Clock::now();
    c.interest = EPOLLIN;
    epoll_event ev{};
    ev.events = c.interest;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      refuse(c.fd.release());
      continue;
    }
    clients_.emplace(fd, std::move(c));
    ++stats_.accepted;
  }
}

void UnixServer::refuse(int fd) {
  // One try: a client that cannot take a line right now just sees EOF.
  (void)::send(fd, kRefused, std::char_traits<char>::length(kRefused), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd);
  ++stats_.refused;
}

bool UnixServer::evictIdle() {
  auto now = Clock::now();
  const Client *oldest = nullptr;
  for (const auto &[fd, c] : clients_)
    if (c.pending == 0 && !unanswered(c) && now - c.last_progress >= idle_evict_after_ &&
        (!oldest || c.last_progress < oldest->last_progress))
      oldest = &c;
  if (!oldest)
    return false;
  drop(oldest->fd.get(), "it sat idle while others waited for a connection");
  return true;
}

void UnixServer::drop(int fd, const std::string &why) {
  auto it = clients_.find(fd);
  if (it == clients_.end())
    return;
  // At most a line a second: a client that reconnects to be dropped again
  // must not flood the agent's log either.
  auto now = Clock::now();
  if (log_ && now - last_log_ >= std::chrono::seconds(1)) {
    log_("control client (pid " + std::to_string(it->second.peer.pid) + ", uid " + std::to_string(it->second.peer.uid) +
         ") dropped: " + why + (unlogged_ ? " (and " + std::to_string(unlogged_) + " more not logged)" : ""));
    last_log_ = now;
    unlogged_ = 0;
  } else {
    ++unlogged_;
  }
  clients_.erase(it); // closing the fd takes it out of the epoll set
  ++stats_.dropped;
}

void UnixServer::service(Client &client, std::uint32_t events) {
  int fd = client.fd.get();
  bool alive = true;
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && (client.interest & EPOLLIN))
    alive = readSome(client);
  // Answer requests while the client keeps up; past kPauseBytes of unsent
  // output the rest wait (unread) until it catches up.
  while (alive) {
    alive = flush(client);
    if (!alive || client.closing || client.pending > kPauseBytes || !answerOne(client))
      break;
  }
  if (client.overflow) {
    drop(fd, "its unread answers would pass 4 MiB");
    return;
  }
  if (alive)
    alive = flush(client);
  bool finished = client.pending == 0 && (client.closing || (client.eof && !unanswered(client)));
  if (!alive || finished) {
    clients_.erase(fd);
    return;
  }
  updateInterest(client);
}

bool UnixServer::readSome(Client &client) {
  // One read per wake-up: a client that sends without pause still leaves
  // the loop to everyone else.
  client.in.erase(0, client.in_pos); // answered requests; once per read, not per line
  client.in_pos = 0;
  char buf[65536];
  ssize_t n = ::recv(client.fd.get(), buf, sizeof buf, 0);
  if (n > 0) {
    client.last_progress = Clock::now();
    if (!unanswered(client))
      client.request_started = client.last_progress; // a byte a second must not hold a place forever
    client.in.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  if (n == 0) {
    client.eof = true; // answer what it sent, then close
    return true;
  }
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

bool UnixServer::answerOne(Client &client) {
  auto nl = client.in.find('\n', client.in_pos);
  auto end = nl == std::string::npos ? client.in.size() : nl;
  if (end - client.in_pos > kMaxRequestBytes) {
    queue(client, kTooLong);
    client.closing = true;
    return false;
  }
  // A last request needs no newline; before EOF a partial one waits.
  if (nl == std::string::npos && (!client.eof || !unanswered(client)))
    return false;
  std::string_view line(client.in.data() + client.in_pos, end - client.in_pos);
  std::string answer;
  try {
    answer = handler_(line, client.peer);
  } catch (const std::exception &) {
    answer = R"({"error":"agent error","ok":false})";
  }
  client.in_pos = nl == std::string::npos ? client.in.size() : nl + 1;
  if (client.pending > 0 && client.pending + answer.size() > kMaxPendingBytes) {
    client.overflow = true;
    return false;
  }
  queue(client, std::move(answer));
  queue(client, "\n");
  return true;
}

void UnixServer::queue(Client &client, std::string data) {
  if (data.empty())
    return;
  if (client.pending == 0)
    client.last_progress = Clock::now(); // the stall clock starts now
  client.pending += data.size();
  client.out.push_back(std::move(data));
}

bool UnixServer::flush(Client &client) {
  while (!client.out.empty()) {
    const auto &front = client.out.front();
    ssize_t n = ::send(client.fd.get(), front.data() + client.out_sent, front.size() - client.out_sent,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return errno == EAGAIN || errno == EWOULDBLOCK;
    client.out_sent += static_cast<std::size_t>(n);
    client.pending -= static_cast<std::size_t>(n);
    client.last_progress = Clock::now();
    if (client.out_sent == front.size()) {
      bool large = front.size() >= kTrimAfterBytes;
      client.out.pop_front(); // a long answer's memory goes as soon as it is out
      client.out_sent = 0;
      // Building it freed as much again in small pieces; give the heap's
      // free tail back rather than keep the peak for the agent's lifetime.
      if (large)
        ::malloc_trim(0);
    }
  }
  return true;
}

void UnixServer::updateInterest(Client &client) {
  std::uint32_t want = 0;
  if (!client.closing && !client.eof && client.pending <= kPauseBytes)
    want |= EPOLLIN;
  if (client.pending > 0)
    want |= EPOLLOUT;
  if (want == client.interest)
    return;
  epoll_event ev{};
  ev.events = want;
  ev.data.fd = client.fd.get();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, client.fd.get(), &ev) == 0)
    client.interest = want;
}

} // namespace minewatch::control
