// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "confirm/probe_target.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace minewatch::confirm {

/// How one exchange ended.
enum class SessionEnd : std::uint8_t {
  Settled,       ///< `settled` held on what was read
  Closed,        ///< the server closed the connection (EOF, TLS close_notify)
  Reset,         ///< the server reset the connection while we wrote or read
  TimedOut,      ///< the read deadline passed
  CapReached,    ///< read_cap bytes read
  ConnectFailed, ///< refused, unreachable, connect timeout: nothing answered
  TlsFailed,     ///< the TLS handshake failed (alert, reset, not TLS, timeout)
  LocalError,    ///< a failure on our side (socket, TLS setup): nothing learnt
};

std::string_view toString(SessionEnd end);

struct SessionResult {
  SessionEnd end = SessionEnd::LocalError;
  std::string reason; ///< one line: "connect: Connection refused", "read cap 16384 B reached"
  std::string answer; ///< the bytes read, at most limits.read_cap
};

/// One bounded, blocking exchange: connects to target (TCP, then TLS with
/// the target's SNI and no certificate check when target.tls), writes
/// `request`, and reads until `settled(answer so far)` holds, the server
/// closes or resets, the read deadline passes or read_cap bytes are read.
/// Blocks the calling thread for at most the limits' sum; never throws (a
/// failure is a result with its reason); SIGPIPE is held off for the call.
/// `hooks`: told of the connection once made; cancel ends it early (LocalError).
SessionResult runExchange(const ProbeTarget &target, std::string_view request, const ProbeLimits &limits,
                          const std::function<bool(std::string_view)> &settled, const ProbeHooks &hooks = {});

} // namespace minewatch::confirm
