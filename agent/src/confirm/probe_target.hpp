// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "confirm/dialect.hpp"
#include "net/address.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace minewatch::confirm {

/// The server to ask: the address and port a suspicious flow went to, and
/// how its client spoke to it.
struct ProbeTarget {
  net::Address address;
  std::uint16_t port = 0;
  bool tls = false;
  std::string sni; ///< the client's SNI; empty: none sent
  /// The dialects to try, in order (a port's usual dialect may go first).
  std::vector<Dialect> dialects{kAllDialects.begin(), kAllDialects.end()};
};

/// Bounds of one connection of a probe (a probe makes one per dialect it
/// tries): connect_timeout for TCP, connect_timeout again for the TLS
/// handshake, then read_timeout in all to write the request and read the
/// answer (a deadline, not an idle time: a server trickling bytes cannot
/// stretch it), and at most read_cap bytes read.
struct ProbeLimits {
  std::chrono::milliseconds connect_timeout{3000};
  std::chrono::milliseconds read_timeout{3000};
  std::size_t read_cap = 16 * 1024;
};

/// What the caller hears from a probe while it runs, and how it stops one.
struct ProbeHooks {
  /// When it turns true every wait ends within ~100 ms and the probe stops,
  /// Failed ("cancelled"): an agent that stops does not wait out timeouts.
  const std::atomic<bool> *cancel = nullptr;
  /// Each connection made, by its local end: the agent watches the
  /// interface its probes leave by, and must not judge them.
  std::function<void(const net::Address &local, std::uint16_t local_port)> connected;
};

} // namespace minewatch::confirm
