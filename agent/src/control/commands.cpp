// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "control/commands.hpp"

#include "app/agent.hpp"
#include "control/request.hpp"

#include <nlohmann/json.hpp>
#include <unistd.h>

namespace minewatch::control {

namespace {
using nlohmann::json;

/// A list answer dumped item by item: a million rules never exist as one
/// JSON tree beside their text. Same bytes as answerOk(array).
template <typename ForEach> std::string listAnswer(ForEach &&forEach) {
  std::string out = R"({"data":[)";
  bool first = true;
  forEach([&](const json &item) {
    if (!first)
      out += ',';
    first = false;
    out += dumpJson(item);
  });
  out += R"(],"ok":true})";
  return out;
}

json statusOf(const app::Agent &agent, std::uint64_t now_ns, const ServerStats *server) {
  auto out = agent.status(now_ns);
  if (server)
    out["control"] = {{"clients", server->clients},   {"max_clients", server->max_clients},
                      {"accepted", server->accepted}, {"refused", server->refused},
                      {"dropped", server->dropped}};
  return out;
}

std::string dispatch(app::Agent &agent, const Request &r, std::uint64_t now_ns, const ServerStats *server) {
  switch (r.command) {
  case Command::Status:
    return answerOk(statusOf(agent, now_ns, server));
  case Command::Flows:
    return answerOk(agent.flows(r.top, r.sort, now_ns));
  case Command::Detections:
    return answerOk(agent.detections());
  case Command::Explain:
    return answerOk(agent.explain(r.flow));
  case Command::BlockAdd:
    return answerOk(agent.blockAdd(r.target, r.ttl_s, now_ns, r.everything));
  case Command::BlockDel:
    return answerOk(agent.blockDel(r.target));
  case Command::BlockList:
    return listAnswer([&](auto &&emit) { agent.forEachBlock(now_ns, r.offset, r.limit, emit); });
  case Command::AllowAdd:
    return answerOk(agent.allowAdd(r.target, r.everything));
  case Command::AllowDel:
    return answerOk(agent.allowDel(r.target));
  case Command::AllowList:
    return listAnswer([&](auto &&emit) { agent.forEachAllow(r.offset, r.limit, emit); });
  }
  return answerError("unknown command");
}
} // namespace

bool mayChangeRules(const Peer &peer) { return peer.uid == 0 || peer.uid == ::geteuid(); }

std::string handleRequest(app::Agent &agent, std::string_view line, const Peer &peer, std::uint64_t now_ns,
                          const ServerStats *server) {
  try {
    auto request = parseRequest(line);
    if (changesRules(request.command) && !mayChangeRules(peer))
      return answerError("permission denied: uid " + std::to_string(peer.uid) +
                         " may read but not change rules (root or the agent's user only)");
    return dispatch(agent, request, now_ns, server);
  } catch (const std::invalid_argument &e) {
    return answerError(e.what());
  } catch (const std::exception &e) {
    return answerError(std::string("agent error: ") + e.what());
  }
}

} // namespace minewatch::control
