// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "confirm/dialect.hpp"

namespace minewatch::confirm {
namespace {

// The throwaway logins. A pool answers a bad login with a pool-shaped
// error ("Invalid payment address provided"), which confirms as well as a
// job does, so the login never needs to be anyone's wallet:
// - Monero: 95 base58 characters starting with 4, the shape of a standard
//   address, spelling text rather than a key (its checksum fails, so pools
//   refuse it; nothing can be paid to it).
// - Ethereum: 0x and the hex of the 20 bytes "minewatch-confirm-01", an
//   address chosen as text, for which no one holds a key.
// The user agent names the prober so a pool operator reading logs knows.
constexpr std::string_view kMoneroLogin =
    R"({"id":1,"jsonrpc":"2.0","method":"login","params":{"login":)"
    R"("4MinewatchConfirmProbeMinewatchConfirmProbeMinewatchConfirmProbeMinewatchConfirmProbeMinewatch2",)"
    R"("pass":"x","agent":"minewatch-confirm/1","algo":["rx/0","cn/r","cn-pico","rx/wow","argon2/chukwav2"]}})"
    "\n";

constexpr std::string_view kStratumV1 = R"({"id":1,"method":"mining.subscribe","params":["minewatch-confirm/1"]})"
                                        "\n"
                                        R"({"id":2,"method":"mining.authorize","params":["minewatch.confirm","x"]})"
                                        "\n";

constexpr std::string_view kEthereumStratum =
    R"({"id":1,"method":"mining.subscribe","params":["minewatch-confirm/1","EthereumStratum/1.0.0"]})"
    "\n"
    R"({"id":2,"method":"mining.authorize","params":["minewatch.confirm","x"]})"
    "\n";

constexpr std::string_view kEthProxy =
    R"({"id":1,"jsonrpc":"2.0","method":"eth_submitLogin","params":["0x6d696e6577617463682d636f6e6669726d2d3031","x"],)"
    R"("worker":"minewatch"})"
    "\n"
    R"({"id":2,"jsonrpc":"2.0","method":"eth_getWork","params":[]})"
    "\n";

} // namespace

std::string_view toString(Dialect dialect) {
  switch (dialect) {
  case Dialect::MoneroLogin: return "monero-login";
  case Dialect::StratumV1: return "stratum-v1";
  case Dialect::EthereumStratum: return "ethereum-stratum";
  case Dialect::EthProxy: return "eth-proxy";
  }
  return "?";
}

std::string_view requestBytes(Dialect dialect) {
  switch (dialect) {
  case Dialect::MoneroLogin: return kMoneroLogin;
  case Dialect::StratumV1: return kStratumV1;
  case Dialect::EthereumStratum: return kEthereumStratum;
  case Dialect::EthProxy: return kEthProxy;
  }
  return {};
}

unsigned requestCount(Dialect dialect) { return dialect == Dialect::MoneroLogin ? 1 : 2; }

std::string_view sentMethods(Dialect dialect) {
  switch (dialect) {
  case Dialect::MoneroLogin: return "login";
  case Dialect::StratumV1: return "mining.subscribe + mining.authorize";
  case Dialect::EthereumStratum: return "mining.subscribe (EthereumStratum/1.0.0) + mining.authorize";
  case Dialect::EthProxy: return "eth_submitLogin + eth_getWork";
  }
  return "?";
}

} // namespace minewatch::confirm
