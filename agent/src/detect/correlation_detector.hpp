// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "detect/assessment.hpp"
#include "net/address.hpp"

#include <cstdint>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace minewatch::detect {

/// Evidence that comes from other flows, not this one:
///  - taint: once a client was seen mining with a server endpoint (address
///    and port), its later flows to that endpoint inherit it, encrypted ones
///    too (nDPI keeps such a cache). Not the server's other ports: a pool
///    host often serves a web site or mail too, and a host-wide taint made
///    SYN- and RST-only attempts to its :80/:443/:25 `mining` on public
///    captures. So a flow that never carried payload inherits only when it
///    goes to the very endpoint seen mining;
///  - fan-in: several clients talking to one server endpoint with the same
///    mining-like pattern (a fleet of cryptojacked devices, one pool).
/// Memory is bounded: the oldest pairs and servers are forgotten first.
class CorrelationDetector {
public:
  struct ServerEndpoint {
    net::Address address;
    std::uint16_t port = 0;
    auto operator<=>(const ServerEndpoint &) const = default;
  };

  CorrelationDetector(std::size_t min_clients, std::size_t capacity = 65536)
      : min_clients_(min_clients), capacity_(capacity) {}

  /// Records that this client mined with this endpoint (by any evidence but
  /// taint itself); flow names the flow that did (opaque, not 0; see taint).
  void markMining(const net::Address &client, const ServerEndpoint &server, const std::string &why,
                  std::uint64_t when_ns, std::uint64_t flow = 0);
  /// Records a client whose flow to the server has the mining-like shape.
  void markPattern(const net::Address &client, const ServerEndpoint &server);

  /// Evidence for a flow from this client to this endpoint that the pair
  /// mined before. Not for the flow that tainted it (`flow`, as markMining
  /// was given it): its own evidence already says why, and its taint would
  /// count it twice.
  [[nodiscard]] std::optional<Evidence> taint(const net::Address &client, const ServerEndpoint &server,
                                              std::uint64_t flow = 0) const;
  [[nodiscard]] std::optional<Evidence> fanIn(const ServerEndpoint &server) const;

  [[nodiscard]] std::size_t taintedPairs() const { return taints_.size(); }

  static constexpr double kTaintWeight = 0.9;
  static constexpr double kFanInWeight = 0.3;

private:
  using Pair = std::pair<net::Address, ServerEndpoint>; // client, server endpoint
  struct Taint {
    std::string why;
    std::uint64_t when_ns;
    std::uint64_t flow; // the flow that tainted the pair, 0 when not named
    std::list<Pair>::iterator age;
  };

  std::size_t min_clients_;
  std::size_t capacity_;
  std::map<Pair, Taint> taints_;
  std::list<Pair> taint_order_; // front = oldest
  std::map<ServerEndpoint, std::set<net::Address>> fan_in_;
  std::list<ServerEndpoint> fan_in_order_;
};

} // namespace minewatch::detect
