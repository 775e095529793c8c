// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Mining signatures over parsed JSON messages (shared/signatures.md). The
// checks are on names and shapes so spacing, member order and truncation
// after the decisive members do not matter.
#include "classify/rpc_rules.hpp"

#include <algorithm>
#include <array>

namespace minewatch::classify {

namespace {
constexpr std::array<std::string_view, 4> kEthProxyMethods = {"eth_submitLogin", "eth_getWork", "eth_submitWork",
                                                              "eth_submitHashrate"};
constexpr std::array<std::string_view, 3> kStratumClientMethods = {"client.reconnect", "client.get_version",
                                                                   "client.show_message"};
// Who sends which Stratum method; other mining.* names are mining all the
// same, but leave the sender's part to the flow's direction.
constexpr std::array<std::string_view, 5> kStratumPoolMethods = {
    "mining.notify", "mining.set_difficulty", "mining.set_target", "mining.set_extranonce", "mining.set_version_mask"};
constexpr std::array<std::string_view, 8> kStratumMinerMethods = {
    "mining.authorize",      "mining.submit",           "mining.extranonce.subscribe",
    "mining.configure",      "mining.get_transactions", "mining.suggest_difficulty",
    "mining.suggest_target", "mining.multi_version"};
constexpr std::string_view kEthereumStratum = "EthereumStratum/";

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

template <std::size_t N> bool oneOf(std::string_view s, const std::array<std::string_view, N> &set) {
  return std::find(set.begin(), set.end(), s) != set.end();
}

bool isHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); });
}

// "0x" and 32 bytes of hex: a header hash, seed hash or boundary.
bool isHash256(std::optional<std::string_view> s) {
  return s && s->size() == 66 && startsWith(*s, "0x") && isHex(s->substr(2));
}

std::string text(std::optional<std::string_view> s) { return s ? std::string(*s) : std::string(); }

RpcVerdict mining(Protocol protocol, Role role, std::string method, std::string detail, std::string agent = {}) {
  return {protocol, true, role, std::move(method), std::move(agent), std::move(detail)};
}

// Monero's job has a blob to hash; a bare job_id + target is the same job
// from pools that send the blob later in the message.
bool moneroJob(const JsonMessage &m, std::string_view at) {
  std::string base(at);
  return m.has(base + ".blob") || (m.has(base + ".job_id") && m.has(base + ".target"));
}

std::optional<RpcVerdict> stratumV1(const JsonMessage &m, const std::string &method) {
  if (oneOf(method, kStratumClientMethods))
    return mining(Protocol::StratumV1, Role::Pool, method, method); // client.* are calls to the client
  if (!startsWith(method, "mining."))
    return std::nullopt;
  if (method == "mining.subscribe") {
    std::string agent = text(m.string("params[0]"));
    for (auto s : m.stringsUnder("params"))
      if (startsWith(s, kEthereumStratum))
        return mining(Protocol::EthereumStratum, Role::Miner, method, "subscribe " + std::string(s), agent);
    return mining(Protocol::StratumV1, Role::Miner, method, "subscribe", agent);
  }
  if (method == "mining.hello") {
    std::string agent = text(m.string("params.agent"));
    auto proto = m.string("params.proto");
    if (proto && startsWith(*proto, kEthereumStratum))
      return mining(Protocol::EthereumStratum, Role::Miner, method, "hello " + std::string(*proto), agent);
    return mining(Protocol::StratumV1, Role::Miner, method, "hello", agent);
  }
  Role role = oneOf(method, kStratumPoolMethods)    ? Role::Pool
              : oneOf(method, kStratumMinerMethods) ? Role::Miner
                                                    : Role::Unknown;
  return mining(Protocol::StratumV1, role, method, method.substr(7));
}

std::optional<RpcVerdict> monero(const JsonMessage &m, const std::string &method, bool coinhive) {
  std::string flavour = coinhive ? "CoinHive " : "";
  if (method == "login" && !coinhive) {
    auto login = m.string("params.login");
    bool wallet = login && looksLikeMoneroWallet(*login);
    bool miner_params =
        m.has("params.algo") || m.has("params.rigid") || (m.has("params.agent") && m.has("params.pass"));
    if (login && (wallet || miner_params))
      return mining(Protocol::MoneroStratum, Role::Miner, method, wallet ? "login with a Monero wallet" : "login",
                    text(m.string("params.agent")));
  }
  if (method == "auth" && coinhive && m.has("params.site_key"))
    return mining(Protocol::MoneroStratum, Role::Miner, method, "CoinHive auth");
  if (method == "job" && moneroJob(m, "params"))
    return mining(Protocol::MoneroStratum, Role::Pool, method, flavour + "job");
  if (method == "submit" && m.has("params.job_id") && (m.has("params.nonce") || m.has("params.result")))
    return mining(Protocol::MoneroStratum, Role::Miner, method, flavour + "submit");
  if (method == "keepalived" && !coinhive)
    return mining(Protocol::MoneroStratum, Role::Miner, method, "keepalived");
  if (method == "getjob" && !coinhive && m.has("params.id"))
    return mining(Protocol::MoneroStratum, Role::Miner, method, "getjob");
  return std::nullopt;
}

std::optional<RpcVerdict> bitcoinRpc(const JsonMessage &m, const std::string &method) {
  if (method == "getwork")
    return mining(Protocol::GetworkHttp, Role::Miner, method, "getwork");
  // BIP 22: a miner asks for a template with capabilities (or BIP 9 rules)
  // and hands back a solved block; a bare call names neither.
  if (method == "getblocktemplate" && (m.has("params[0].capabilities") || m.has("params[0].rules")))
    return mining(Protocol::GetworkHttp, Role::Miner, method, "getblocktemplate request");
  if (method == "submitblock" && m.has("params[0]"))
    return mining(Protocol::GetworkHttp, Role::Miner, method, "submitblock");
  return std::nullopt;
}

// A message with a result and no method: pool -> miner replies.
std::optional<RpcVerdict> poolResult(const JsonMessage &m) {
  if (moneroJob(m, "result.job"))
    return mining(Protocol::MoneroStratum, Role::Pool, {}, "login result with job");
  auto status = m.string("result.status");
  if (status == "KEEPALIVED")
    return mining(Protocol::MoneroStratum, Role::Pool, {}, "keepalived reply");
  auto strings = m.stringsUnder("result");
  for (auto s : strings)
    if (startsWith(s, kEthereumStratum))
      return mining(Protocol::EthereumStratum, Role::Pool, {}, "subscribe result " + std::string(s));
  for (auto s : strings)
    if (startsWith(s, "mining."))
      return mining(Protocol::StratumV1, Role::Pool, {}, "subscribe result");
  if (isHash256(m.string("result[0]")) && isHash256(m.string("result[1]")) && isHash256(m.string("result[2]")))
    return mining(Protocol::EthProxy, Role::Pool, {}, "eth_getWork result");
  return std::nullopt;
}
} // namespace

bool looksLikeMoneroWallet(std::string_view s) {
  constexpr std::string_view kBase58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  if (s.empty() || (s[0] != '4' && s[0] != '8'))
    return false;
  std::size_t run = 0;
  while (run < s.size() && kBase58.find(s[run]) != std::string_view::npos)
    ++run;
  return run == 95 || run == 106;
}

RpcVerdict judgeRpc(const JsonMessage &m) {
  auto method_text = m.string("method");
  // CoinHive's browser protocol names its messages with "type".
  bool coinhive = !method_text && m.string("type") && m.has("params");
  const char *name_path = coinhive ? "type" : "method";
  std::string method = text(m.string(name_path));
  if (!method.empty() && m.find(name_path)->partial)
    method.clear(); // a cut name could match a shorter real one

  if (!method.empty()) {
    std::optional<RpcVerdict> v;
    if (!coinhive)
      v = stratumV1(m, method);
    if (!v && !coinhive && oneOf(method, kEthProxyMethods))
      v = mining(Protocol::EthProxy, Role::Miner, method, method);
    if (!v)
      v = monero(m, method, coinhive);
    if (!v && !coinhive)
      v = bitcoinRpc(m, method);
    if (v)
      return *v;
  } else if (m.has("result")) {
    if (auto v = poolResult(m))
      return *v;
    if (auto status = m.string("result.status"))
      return {Protocol::JsonRpc, false, Role::Unknown, {}, {}, "result status " + std::string(*status)};
  }

  bool rpc_like =
      m.has("jsonrpc") || (method_text && !coinhive) || (m.has("id") && (m.has("result") || m.has("error")));
  if (!rpc_like)
    return {};
  return {
      Protocol::JsonRpc, false, Role::Unknown, method, {}, method.empty() ? "json-rpc reply" : "json-rpc " + method};
}

} // namespace minewatch::classify
