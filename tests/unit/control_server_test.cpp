// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The control server against clients that do not play along, in one
// thread: the test pumps the server as the agent's loop would, so a server
// that waited on a client would hang the test instead of passing it. Every
// wait is bounded.
#include "control/unix_server.hpp"

#include <boost/test/unit_test.hpp>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

using namespace minewatch::control;
using namespace std::chrono_literals;

namespace {
std::string socketPath() { return "/tmp/mw-server-test-" + std::to_string(::getpid()) + ".sock"; }

/// A client end, non-blocking: the test decides when it reads.
struct Client {
  minewatch::bpf::UniqueFd fd;
  explicit Client(const std::string &path) : fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
    BOOST_REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr *>(&sa), sizeof sa) == 0);
  }
  /// Sends what the socket takes now; returns how much that was.
  std::size_t send(const std::string &data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = ::send(fd.get(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0)
        break;
      sent += static_cast<std::size_t>(n);
    }
    return sent;
  }
  /// Takes what has arrived; `eof` set once the server closed.
  std::string received;
  bool eof = false;
  void read() {
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
      if (n > 0) {
        received.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      eof = eof || n == 0 || (n < 0 && errno != EAGAIN);
      return;
    }
  }
};

/// Runs the server as the agent's loop does until `done()` or the deadline.
template <typename Done> bool pumpUntil(UnixServer &server, Done done, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    pollfd p{server.fd(), POLLIN, 0};
    if (::poll(&p, 1, 10) > 0)
      server.poll();
    server.sweep();
  }
  return true;
}

ServerOptions options(std::size_t max_clients = 256) {
  ServerOptions o;
  o.path = socketPath();
  o.max_clients = max_clients;
  o.stall_timeout = 300ms;
  o.idle_evict_after = 1h;
  return o;
}
} // namespace

BOOST_AUTO_TEST_SUITE(control_server)

BOOST_AUTO_TEST_CASE(a_client_that_never_reads_stops_nobody_and_is_dropped) {
  std::size_t answered = 0;
  // ~1 KiB answers: thousands of them are far more than the socket holds.
  UnixServer server(options(), [&](std::string_view, const Peer &) {
    ++answered;
    return std::string(1000, 'x');
  });
  Client stuck(server.path());
  std::string requests;
  for (int i = 0; i < 5000; ++i)
    requests += "{}\n";
  BOOST_REQUIRE(stuck.send(requests) == requests.size());

  Client other(server.path());
  BOOST_REQUIRE(other.send("{}\n") == 3u);
  BOOST_TEST(pumpUntil(server, [&] {
    other.read();
    return other.received.find('\n') != std::string::npos;
  }));
  // Its requests wait, unread, while its answers pile up unread.
  BOOST_TEST(answered < 5000u, answered);
  BOOST_TEST(pumpUntil(server, [&] { return server.stats().dropped == 1u; }));
  BOOST_TEST(server.stats().clients == 1u);
}

BOOST_AUTO_TEST_CASE(a_request_that_never_ends_is_dropped) {
  UnixServer server(options(), [](std::string_view, const Peer &) { return std::string("{}"); });
  Client slow(server.path());
  slow.send("{\"cmd\":");
  BOOST_TEST(pumpUntil(server, [&] { return server.stats().dropped == 1u; }));
  slow.read();
  BOOST_TEST(slow.eof);
}

BOOST_AUTO_TEST_CASE(beyond_the_cap_clients_are_told_no) {
  UnixServer server(options(2), [](std::string_view, const Peer &) { return std::string("{}"); });
  Client a(server.path()), b(server.path());
  BOOST_REQUIRE(pumpUntil(server, [&] { return server.stats().clients == 2u; }));
  Client c(server.path());
  BOOST_TEST(pumpUntil(server, [&] {
    c.read();
    return c.eof;
  }));
  BOOST_TEST(c.received.find("too many control connections") != std::string::npos, c.received);
  BOOST_TEST(server.stats().refused == 1u);
  // Those inside the cap are still served.
  a.send("{}\n");
  BOOST_TEST(pumpUntil(server, [&] {
    a.read();
    return a.received == "{}\n";
  }));
}

BOOST_AUTO_TEST_CASE(at_the_cap_an_idle_client_makes_room) {
  auto o = options(1);
  o.idle_evict_after = 0ms;
  UnixServer server(o, [](std::string_view, const Peer &) { return std::string("{}"); });
  Client idle(server.path());
  BOOST_REQUIRE(pumpUntil(server, [&] { return server.stats().clients == 1u; }));
  Client fresh(server.path());
  fresh.send("{}\n");
  BOOST_TEST(pumpUntil(server, [&] {
    fresh.read();
    return fresh.received == "{}\n";
  }));
  BOOST_TEST(server.stats().dropped == 1u);
}

BOOST_AUTO_TEST_CASE(lines_bad_long_and_unterminated) {
  std::vector<std::string> seen;
  UnixServer server(options(), [&](std::string_view line, const Peer &peer) {
    seen.emplace_back(line);
    BOOST_TEST(peer.uid == ::geteuid()); // SO_PEERCRED names us
    return std::string("{}");
  });
  Client last(server.path());
  last.send(std::string("a\0b\n\xff", 5));
  ::shutdown(last.fd.get(), SHUT_WR); // the last request has no newline
  BOOST_TEST(pumpUntil(server, [&] {
    last.read();
    return last.eof;
  }));
  BOOST_TEST(last.received == "{}\n{}\n");
  BOOST_TEST((seen == std::vector<std::string>{std::string("a\0b", 3), "\xff"}));

  Client longer(server.path());
  longer.send(std::string(UnixServer::kMaxRequestBytes + 10, 'a'));
  BOOST_TEST(pumpUntil(server, [&] {
    longer.read();
    return longer.eof;
  }));
  BOOST_TEST(longer.received.find("request too long") != std::string::npos);
  BOOST_TEST(std::count(longer.received.begin(), longer.received.end(), '\n') == 1);
}

BOOST_AUTO_TEST_CASE(one_answer_larger_than_the_cap_arrives_whole) {
  UnixServer server(options(),
                    [](std::string_view, const Peer &) { return std::string(2 * UnixServer::kMaxPendingBytes, 'x'); });
  Client reader(server.path());
  reader.send("{}\n");
  BOOST_TEST(pumpUntil(server, [&] {
    reader.read();
    return reader.received.size() == 2 * UnixServer::kMaxPendingBytes + 1;
  }));
  BOOST_TEST(server.stats().dropped == 0u);
}

BOOST_AUTO_TEST_CASE(out_of_descriptors_the_excess_is_told_no) {
  // In a child whose every descriptor is taken after the server starts:
  // accept fails with EMFILE, and the server must still take each waiting
  // connection off the queue (to refuse it) instead of waking for it forever.
  auto path = socketPath(); // the child's pid would name another
  int ready[2];
  BOOST_REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  BOOST_REQUIRE(child >= 0);
  if (child == 0) {
    int result = 2;
    try {
      ::close(ready[0]);
      rlimit limit{64, 64};
      ::setrlimit(RLIMIT_NOFILE, &limit);
      auto o = options();
      o.path = path;
      UnixServer server(o, [](std::string_view, const Peer &) { return std::string("{}"); });
      while (::dup(0) >= 0) {
      }
      bool full = errno == EMFILE;
      (void)::write(ready[1], "r", 1);
      auto deadline = std::chrono::steady_clock::now() + 5s;
      std::uint64_t wakeups = 0;
      while (server.stats().refused < 3 && std::chrono::steady_clock::now() < deadline) {
        pollfd p{server.fd(), POLLIN, 0};
        if (::poll(&p, 1, 10) > 0) {
          server.poll();
          ++wakeups;
        }
      }
      // Three refusals, without thousands of empty wake-ups on the way.
      result = full && server.stats().refused == 3 && server.stats().clients == 0 && wakeups < 100 ? 0 : 1;
    } catch (...) {
    }
    ::_exit(result); // never back into the test runner
  }
  ::close(ready[1]);
  char byte = 0;
  pollfd p{ready[0], POLLIN, 0};
  BOOST_REQUIRE(::poll(&p, 1, 5000) == 1);
  BOOST_REQUIRE(::read(ready[0], &byte, 1) == 1);
  ::close(ready[0]);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 3; ++i)
    clients.push_back(std::make_unique<Client>(path));
  for (auto &c : clients) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!c->eof && std::chrono::steady_clock::now() < deadline) {
      pollfd cp{c->fd.get(), POLLIN, 0};
      ::poll(&cp, 1, 50);
      c->read();
    }
    BOOST_TEST(c->received.find("too many control connections") != std::string::npos, c->received);
  }
  int status = 0;
  BOOST_REQUIRE(::waitpid(child, &status, 0) == child);
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

BOOST_AUTO_TEST_SUITE_END()
