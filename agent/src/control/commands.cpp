// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "control/commands.hpp"

#include "app/agent.hpp"

#include <nlohmann/json.hpp>

namespace minewatch::control {

namespace {
using nlohmann::json;

std::string str(const json &request, const char *field) {
  if (!request.contains(field) || !request[field].is_string())
    throw std::invalid_argument(std::string("'") + field + "' is required and must be a string");
  return request[field].get<std::string>();
}

std::uint64_t num(const json &request, const char *field, std::uint64_t fallback, std::uint64_t max) {
  if (!request.contains(field) || request[field].is_null())
    return fallback;
  if (!request[field].is_number_unsigned())
    throw std::invalid_argument(std::string("'") + field + "' must be a non-negative whole number");
  auto value = request[field].get<std::uint64_t>();
  if (value > max)
    throw std::invalid_argument(std::string("'") + field + "' must be at most " + std::to_string(max));
  return value;
}

json dispatch(app::Agent &agent, const json &request, std::uint64_t now_ns) {
  auto cmd = str(request, "cmd");
  if (cmd == "status")
    return agent.status(now_ns);
  if (cmd == "flows")
    return agent.flows(num(request, "top", 0, 1u << 24), request.value("sort", std::string("bytes")), now_ns);
  if (cmd == "detections")
    return agent.detections();
  if (cmd == "explain")
    return agent.explain(str(request, "flow"));
  if (cmd == "block_add")
    return agent.blockAdd(str(request, "target"), num(request, "ttl", 0, 10ull * 365 * 86400), now_ns);
  if (cmd == "block_del")
    return agent.blockDel(str(request, "target"));
  if (cmd == "block_list")
    return agent.blockList(now_ns);
  if (cmd == "allow_add")
    return agent.allowAdd(str(request, "target"));
  if (cmd == "allow_del")
    return agent.allowDel(str(request, "target"));
  if (cmd == "allow_list")
    return agent.allowList();
  throw std::invalid_argument("unknown command '" + cmd + "'");
}
} // namespace

std::string handleRequest(app::Agent &agent, const std::string &line, std::uint64_t now_ns) {
  try {
    auto request = json::parse(line);
    if (!request.is_object())
      throw std::invalid_argument("a request is a JSON object");
    return json{{"ok", true}, {"data", dispatch(agent, request, now_ns)}}.dump();
  } catch (const json::exception &e) {
    return json{{"ok", false}, {"error", std::string("bad request: ") + e.what()}}.dump();
  } catch (const std::invalid_argument &e) {
    return json{{"ok", false}, {"error", e.what()}}.dump();
  } catch (const std::exception &e) {
    return json{{"ok", false}, {"error", std::string("agent error: ") + e.what()}}.dump();
  }
}

} // namespace minewatch::control
