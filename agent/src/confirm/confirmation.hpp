// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "confirm/outcome.hpp"
#include "datapath/flow_key.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace minewatch::confirm {

/// What asking a server in Stratum showed: the prober's outcome.
using ConfirmResult = Outcome;
inline constexpr ConfirmResult kConfirmResults[] = {ConfirmResult::Confirmed, ConfirmResult::Refuted,
                                                    ConfirmResult::Failed};
std::optional<ConfirmResult> parseConfirmResult(std::string_view text);

/// Whom to ask: the server endpoint of a suspected flow, the way its client
/// spoke to it.
struct ProbeRequest {
  datapath::Endpoint server;
  bool tls = false;
  std::string sni; // the name the client sent; empty: none
};

/// One probe's outcome, as kept and shown (`explain`, events).
struct ProbeReport {
  ConfirmResult result = ConfirmResult::Failed;
  std::string summary;     // one sentence: "10.0.0.3:443 answered a Monero login with a job"
  std::string dialect;     // the dialect that decided ("monero-login"), or the last one tried
  std::string sent;        // the methods sent in it
  std::string answer_head; // the first 200 bytes answered, printable
  std::chrono::milliseconds elapsed{0};
  std::vector<datapath::Endpoint> connections; // the probe's own connections (local ends)
};

/// A server endpoint's standing with the confirmer: the last probe and how
/// long it stands. Times are wall-clock (they outlive the agent).
struct Confirmation {
  ProbeRequest asked;
  ProbeReport report;
  std::uint64_t probed_wall_ns = 0;
  std::uint64_t expires_wall_ns = 0; // ask again after this
  unsigned failures = 0;             // Failed probes in a row (the backoff)
};

/// An endpoint as a map key.
struct EndpointKey {
  net::Address address;
  std::uint16_t port = 0;
  auto operator<=>(const EndpointKey &) const = default;
};
inline EndpointKey keyOf(const datapath::Endpoint &e) { return {e.address, e.port}; }

} // namespace minewatch::confirm
