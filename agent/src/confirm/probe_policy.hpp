// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "config/agent_config.hpp"
#include "net/address.hpp"

#include <optional>
#include <string>
#include <vector>

namespace minewatch::confirm {

/// Which addresses the confirmer may open a connection to. Never loopback,
/// link-local, multicast, unspecified, documentation, benchmarking or
/// reserved ranges (nothing a miner's pool lives on: the host's own
/// services, and the made-up servers of tests); by default not private, shared (CGNAT)
/// or unique-local ranges either (a cluster's own services and a home
/// network's devices), unless `allow_private` (labs, on-prem pools); never
/// the `never` ranges.
class ProbePolicy {
public:
  /// `config.never` must hold valid CIDRs (the config checked them).
  explicit ProbePolicy(const config::ConfirmConfig &config);

  /// Why `address` must not be probed, or nullopt when it may be.
  [[nodiscard]] std::optional<std::string> refusal(const net::Address &address) const;

private:
  bool allow_private_;
  std::vector<net::Cidr> never_;
};

} // namespace minewatch::confirm
