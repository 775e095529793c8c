// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "confirm/answer_shape.hpp"
#include "confirm/dialect.hpp"
#include "confirm/outcome.hpp"
#include "confirm/probe_session.hpp"
#include "confirm/probe_target.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace minewatch::confirm {

/// One dialect tried: one connection, for explain.
struct ProbeExchange {
  Dialect dialect = Dialect::MoneroLogin;
  std::string sent_methods; ///< "mining.subscribe + mining.authorize"
  std::string answer_head;  ///< the first 200 bytes answered, printable-escaped
  AnswerShape shape = AnswerShape::Empty;
  std::string reason; ///< the judgement: "a Monero login result with a job"
  SessionEnd ended = SessionEnd::LocalError;
  std::string end_reason; ///< how the connection ended: "read: timed out after 3000 ms"
  std::size_t bytes_read = 0;
  std::chrono::milliseconds elapsed{0};
};

struct ProbeResult {
  Outcome outcome = Outcome::Failed;
  std::vector<ProbeExchange> exchanges;
  /// One sentence: "10.0.0.3:443 answered login: a Monero login result with a job".
  std::string summary;
  std::size_t bytes_read = 0; ///< over every exchange (each at most read_cap)
  std::chrono::milliseconds elapsed{0};
};

/// Asks target whether it is a mining pool: tries its dialects in turn, a
/// fresh connection each, and stops at the first pool-shaped answer
/// (Confirmed), at the first answer no pool gives in any dialect (HTTP, a
/// TLS failure, non-JSON, a filled read cap: Refuted), or at a connection
/// that cannot be made (Failed). JSON-RPC that is not a pool's, silence,
/// a close or a reset moves on to the next dialect: a pool of another
/// dialect answers a foreign request so; after the last, Refuted. Blocks
/// the calling thread, each connection within ProbeLimits: at most
/// dialects x (2 x connect_timeout + read_timeout) in all (36 s with the
/// defaults, for a server that accepts and stays silent in TLS); reads at
/// most read_cap per connection. Never throws.
/// `hooks`: each connection's local end; cancel stops the probe (Failed).
ProbeResult probe(const ProbeTarget &target, const ProbeLimits &limits = {}, const ProbeHooks &hooks = {});

} // namespace minewatch::confirm
