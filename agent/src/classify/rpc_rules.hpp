// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "classify/facts.hpp"
#include "classify/json_scan.hpp"

#include <string>

namespace minewatch::classify {

/// What one JSON message is. protocol is Unknown for JSON that is not
/// JSON-RPC-like (no method, no jsonrpc member, no id with result/error).
struct RpcVerdict {
  Protocol protocol = Protocol::Unknown;
  bool mining = false;
  Role role = Role::Unknown; ///< the sender's part, where the message shows it
  std::string method;        ///< "method", or CoinHive's "type"
  std::string agent;         ///< miner software named in the message
  std::string detail;        ///< what matched
};

/// Judges a message by its method name and the shape of its params or
/// result, never by byte strings. Generic names (login, job, submit,
/// getblocktemplate) count as mining only with the parameters mining gives
/// them; mining.*, eth_getWork & co, getwork and keepalived by name alone.
/// Results without a method are recognised where their shape is
/// mining-only: a Monero login result carrying a job, a KEEPALIVED status,
/// a Stratum subscribe result naming mining.notify, an eth_getWork triple.
RpcVerdict judgeRpc(const JsonMessage &message);

/// True for a Monero address (95 base58 characters, or 106 integrated,
/// starting with 4 or 8) at the start of text, as miners log in with.
bool looksLikeMoneroWallet(std::string_view text);

} // namespace minewatch::classify
