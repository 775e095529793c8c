// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace minewatch::confirm {

/// The mining protocols the prober speaks, in the order it tries them:
/// Monero/XMRig first (the TLS miners this project meets are XMRig), then
/// the Stratum family, then the ETH proxy protocol.
enum class Dialect : std::uint8_t { MoneroLogin, StratumV1, EthereumStratum, EthProxy };

inline constexpr std::array<Dialect, 4> kAllDialects{Dialect::MoneroLogin, Dialect::StratumV1, Dialect::EthereumStratum,
                                                     Dialect::EthProxy};

/// "monero-login", "stratum-v1", "ethereum-stratum", "eth-proxy".
std::string_view toString(Dialect dialect);

/// The bytes a probe sends: newline-terminated JSON-RPC lines, ids 1 (and 2),
/// with a throwaway login that no one can mine to (see dialect.cpp).
std::string_view requestBytes(Dialect dialect);

/// How many requests requestBytes holds (each one is answered by a pool).
unsigned requestCount(Dialect dialect);

/// The methods sent, for explain: "login", "mining.subscribe + mining.authorize".
std::string_view sentMethods(Dialect dialect);

} // namespace minewatch::confirm
