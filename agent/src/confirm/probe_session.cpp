// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "confirm/probe_session.hpp"

#include "bpf/unique_fd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <system_error>

namespace minewatch::confirm {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct SslCtxFree {
  void operator()(SSL_CTX *ctx) const { SSL_CTX_free(ctx); }
};
struct SslFree {
  void operator()(SSL *ssl) const { SSL_free(ssl); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;
using SslPtr = std::unique_ptr<SSL, SslFree>;

constexpr std::size_t kChunk = 4096;

std::string errnoText(int err) { return std::generic_category().message(err); }

std::string afterMs(milliseconds timeout) { return "timed out after " + std::to_string(timeout.count()) + " ms"; }

/// Holds SIGPIPE off this thread for a scope: OpenSSL writes to the socket
/// with write(2), which raises SIGPIPE on a reset connection, and a library
/// must not change the process's disposition. A SIGPIPE raised meanwhile is
/// taken off the pending set before the mask is restored.
class SigpipeBlock {
public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  SigpipeBlock(const SigpipeBlock &) = delete;
  SigpipeBlock &operator=(const SigpipeBlock &) = delete;
  ~SigpipeBlock() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      timespec zero{};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

private:
  sigset_t pipe_{}, old_{};
  bool was_pending_ = false;
};

/// Waits until fd is ready for `events` or the deadline passes: 1 ready,
/// 0 timed out, -1 failed (errno; ECANCELED once `cancel` turned true,
/// looked at every 100 ms).
int waitReady(int fd, short events, Clock::time_point deadline, const std::atomic<bool> *cancel) {
  for (;;) {
    if (cancel && cancel->load()) {
      errno = ECANCELED;
      return -1;
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0)
      return 0;
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 100)));
    if (rc > 0)
      return 1;
    if (rc < 0 && errno != EINTR)
      return -1;
  }
}

/// The OpenSSL error queue's first reason ("sslv3 alert handshake failure"),
/// or the socket error behind SSL_ERROR_SYSCALL.
std::string sslErrorText(int ssl_error, int saved_errno) {
  if (unsigned long code = ERR_get_error()) {
    const char *reason = ERR_reason_error_string(code);
    ERR_clear_error();
    if (reason)
      return reason;
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    return buf;
  }
  if (ssl_error == SSL_ERROR_ZERO_RETURN || (ssl_error == SSL_ERROR_SYSCALL && saved_errno == 0))
    return "the server closed the connection";
  if (ssl_error == SSL_ERROR_SYSCALL)
    return errnoText(saved_errno);
  return "SSL error " + std::to_string(ssl_error);
}

bool isResetErrno(int err) { return err == ECONNRESET || err == EPIPE; }

/// One connection, plain or TLS, with a result being built.
class Exchange {
public:
  Exchange(const ProbeTarget &target, const ProbeLimits &limits, const ProbeHooks &hooks)
      : target_(target), limits_(limits), hooks_(hooks) {}

  SessionResult run(std::string_view request, const std::function<bool(std::string_view)> &settled) {
    if (connect() && (!target_.tls || handshake()) && write(request))
      read(settled);
    if (ssl_ && (result_.end == SessionEnd::Settled || result_.end == SessionEnd::TimedOut ||
                 result_.end == SessionEnd::CapReached)) {
      ERR_clear_error();
      SSL_shutdown(ssl_.get()); // one polite close_notify, never waited for
      ERR_clear_error();
    }
    return std::move(result_);
  }

private:
  bool fail(SessionEnd end, std::string reason) {
    result_.end = end;
    result_.reason = std::move(reason);
    return false;
  }

  bool connect() {
    sockaddr_storage storage{};
    socklen_t length = 0;
    const auto &bytes = target_.address.bytes;
    if (target_.address.isV4()) {
      auto *sin = reinterpret_cast<sockaddr_in *>(&storage);
      sin->sin_family = AF_INET;
      sin->sin_port = htons(target_.port);
      std::memcpy(&sin->sin_addr, bytes.data() + 12, 4);
      length = sizeof(sockaddr_in);
    } else {
      auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&storage);
      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons(target_.port);
      std::memcpy(&sin6->sin6_addr, bytes.data(), 16);
      length = sizeof(sockaddr_in6);
    }
    fd_.reset(::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd_.valid())
      return fail(SessionEnd::LocalError, "socket: " + errnoText(errno));
    if (::connect(fd_.get(), reinterpret_cast<sockaddr *>(&storage), length) == 0)
      return connected();
    if (errno != EINPROGRESS)
      return fail(SessionEnd::ConnectFailed, "connect: " + errnoText(errno));
    int ready = waitReady(fd_.get(), POLLOUT, Clock::now() + limits_.connect_timeout, hooks_.cancel);
    if (ready == 0)
      return fail(SessionEnd::ConnectFailed, "connect: " + afterMs(limits_.connect_timeout));
    int err = 0;
    socklen_t err_len = sizeof err;
    if (ready < 0 || ::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &err_len) != 0)
      return fail(SessionEnd::LocalError, "connect: poll: " + errnoText(errno));
    // ECONNRESET here: the handshake completed and the server reset the
    // connection at once (a refused SYN is ECONNREFUSED): it answered.
    if (err != 0)
      return fail(err == ECONNRESET ? SessionEnd::Reset : SessionEnd::ConnectFailed, "connect: " + errnoText(err));
    return connected();
  }

  /// Tells the caller the connection's local end (before a byte is sent).
  bool connected() {
    if (!hooks_.connected)
      return true;
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    if (::getsockname(fd_.get(), reinterpret_cast<sockaddr *>(&local), &length) != 0)
      return fail(SessionEnd::LocalError, "getsockname: " + errnoText(errno));
    net::Address address;
    std::uint16_t port = 0;
    if (local.ss_family == AF_INET) {
      const auto *sin = reinterpret_cast<const sockaddr_in *>(&local);
      std::uint32_t v4 = 0;
      std::memcpy(&v4, &sin->sin_addr, 4);
      address = net::Address::fromV4(v4);
      port = ntohs(sin->sin_port);
    } else {
      const auto *sin6 = reinterpret_cast<const sockaddr_in6 *>(&local);
      std::memcpy(address.bytes.data(), &sin6->sin6_addr, 16);
      port = ntohs(sin6->sin6_port);
    }
    hooks_.connected(address, port);
    return true;
  }

  bool handshake() {
    ERR_clear_error();
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (ctx_)
      ssl_.reset(SSL_new(ctx_.get()));
    if (!ssl_ || SSL_set_fd(ssl_.get(), fd_.get()) != 1)
      return fail(SessionEnd::LocalError, "TLS setup: " + sslErrorText(SSL_ERROR_SSL, 0));
    // No certificate check: XMRig's pools present self-signed certificates,
    // and the probe asks what the server speaks, not who it is.
    SSL_set_verify(ssl_.get(), SSL_VERIFY_NONE, nullptr);
    SSL_set_options(ssl_.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
    // Any TLS a miner's own client accepts (XMRig links its own OpenSSL,
    // without the distribution's TLS 1.2 floor): the probe must reach every
    // pool a miner reaches, and nothing it sends is secret.
    SSL_set_security_level(ssl_.get(), 0);
    SSL_set_min_proto_version(ssl_.get(), TLS1_VERSION);
    // SSL_set_tlsext_host_name, spelt out: the macro's C cast trips -Wold-style-cast.
    if (!target_.sni.empty() && SSL_ctrl(ssl_.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                                         const_cast<char *>(target_.sni.c_str())) != 1)
      return fail(SessionEnd::LocalError, "TLS setup: SNI: " + sslErrorText(SSL_ERROR_SSL, 0));
    auto deadline = Clock::now() + limits_.connect_timeout;
    for (;;) {
      ERR_clear_error();
      errno = 0;
      int rc = SSL_connect(ssl_.get());
      if (rc == 1)
        return true;
      int saved_errno = errno;
      int error = SSL_get_error(ssl_.get(), rc);
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        ssl_.reset(); // no close_notify after a failed handshake
        return fail(SessionEnd::TlsFailed, "TLS handshake: " + sslErrorText(error, saved_errno));
      }
      short events = error == SSL_ERROR_WANT_READ ? short{POLLIN} : short{POLLOUT};
      int ready = waitReady(fd_.get(), events, deadline, hooks_.cancel);
      if (ready <= 0) {
        ssl_.reset();
        if (ready < 0)
          return fail(SessionEnd::LocalError, "TLS handshake: poll: " + errnoText(errno));
        // A server too busy to finish a handshake in time may still be a
        // pool: nothing learnt, asked again later (not refuted for a day).
        return fail(SessionEnd::ConnectFailed, "TLS handshake: " + afterMs(limits_.connect_timeout));
      }
    }
  }

  // Writing and reading share one deadline: read_timeout after the
  // connection (and handshake) is up.
  bool write(std::string_view request) {
    deadline_ = Clock::now() + limits_.read_timeout;
    while (!request.empty()) {
      short wait_for = POLLOUT;
      ssize_t n = 0;
      if (ssl_) {
        ERR_clear_error();
        errno = 0;
        int rc = SSL_write(ssl_.get(), request.data(), static_cast<int>(request.size()));
        int saved_errno = errno;
        if (rc > 0) {
          n = rc;
        } else {
          int error = SSL_get_error(ssl_.get(), rc);
          if (error == SSL_ERROR_WANT_READ)
            wait_for = POLLIN;
          else if (error != SSL_ERROR_WANT_WRITE)
            return ioFailure("write", error, saved_errno);
        }
      } else {
        n = ::send(fd_.get(), request.data(), request.size(), MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
          return fail(isResetErrno(errno) ? SessionEnd::Reset : SessionEnd::LocalError, "write: " + errnoText(errno));
      }
      if (n > 0) {
        request.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (!awaitIo("write", wait_for))
        return false;
    }
    return true;
  }

  void read(const std::function<bool(std::string_view)> &settled) {
    auto &answer = result_.answer;
    char buf[kChunk];
    while (answer.size() < limits_.read_cap) {
      auto want = std::min(kChunk, limits_.read_cap - answer.size());
      short wait_for = POLLIN;
      ssize_t n = -1;
      if (ssl_) {
        ERR_clear_error();
        errno = 0;
        int rc = SSL_read(ssl_.get(), buf, static_cast<int>(want));
        int saved_errno = errno;
        if (rc > 0) {
          n = rc;
        } else {
          int error = SSL_get_error(ssl_.get(), rc);
          if (error == SSL_ERROR_ZERO_RETURN) {
            fail(SessionEnd::Closed, "read: the server closed the connection");
            return;
          }
          if (error == SSL_ERROR_WANT_WRITE)
            wait_for = POLLOUT;
          else if (error != SSL_ERROR_WANT_READ) {
            ioFailure("read", error, saved_errno);
            return;
          }
        }
      } else {
        n = ::recv(fd_.get(), buf, want, 0);
        if (n == 0) {
          fail(SessionEnd::Closed, "read: the server closed the connection");
          return;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
          fail(isResetErrno(errno) ? SessionEnd::Reset : SessionEnd::LocalError, "read: " + errnoText(errno));
          return;
        }
      }
      if (n > 0) {
        answer.append(buf, static_cast<std::size_t>(n));
        if (settled(answer)) {
          result_.end = SessionEnd::Settled;
          result_.reason = "answered";
          return;
        }
        continue;
      }
      if (!awaitIo("read", wait_for))
        return;
    }
    fail(SessionEnd::CapReached, "read cap " + std::to_string(limits_.read_cap) + " B reached");
  }

  bool awaitIo(const char *step, short events) {
    int ready = waitReady(fd_.get(), events, deadline_, hooks_.cancel);
    if (ready > 0)
      return true;
    if (ready == 0)
      return fail(SessionEnd::TimedOut, std::string(step) + ": " + afterMs(limits_.read_timeout));
    return fail(SessionEnd::LocalError, std::string(step) + ": poll: " + errnoText(errno));
  }

  bool ioFailure(const char *step, int ssl_error, int saved_errno) {
    bool reset = ssl_error == SSL_ERROR_SYSCALL && isResetErrno(saved_errno);
    bool eof = ssl_error == SSL_ERROR_SYSCALL && saved_errno == 0 && ERR_peek_error() == 0;
    auto end = reset ? SessionEnd::Reset : eof ? SessionEnd::Closed : SessionEnd::LocalError;
    // A TLS error inside an established session is the server's doing
    // (a bad record, an alert): not a local failure.
    if (ssl_error == SSL_ERROR_SSL)
      end = SessionEnd::Closed;
    ssl_.reset();
    return fail(end, std::string(step) + ": " + sslErrorText(ssl_error, saved_errno));
  }

  const ProbeTarget &target_;
  const ProbeLimits &limits_;
  const ProbeHooks &hooks_;
  bpf::UniqueFd fd_;
  SslCtxPtr ctx_;
  SslPtr ssl_; // declared after ctx_: freed first
  Clock::time_point deadline_{};
  SessionResult result_;
};

} // namespace

std::string_view toString(SessionEnd end) {
  switch (end) {
  case SessionEnd::Settled: return "settled";
  case SessionEnd::Closed: return "closed";
  case SessionEnd::Reset: return "reset";
  case SessionEnd::TimedOut: return "timed-out";
  case SessionEnd::CapReached: return "cap-reached";
  case SessionEnd::ConnectFailed: return "connect-failed";
  case SessionEnd::TlsFailed: return "tls-failed";
  case SessionEnd::LocalError: return "local-error";
  }
  return "?";
}

SessionResult runExchange(const ProbeTarget &target, std::string_view request, const ProbeLimits &limits,
                          const std::function<bool(std::string_view)> &settled, const ProbeHooks &hooks) {
  SigpipeBlock no_sigpipe;
  try {
    return Exchange(target, limits, hooks).run(request, settled);
  } catch (...) { // std::bad_alloc, or a throwing `settled`: a result, never a throw
    return {SessionEnd::LocalError, "exchange: out of memory or internal error", {}};
  }
}

} // namespace minewatch::confirm
