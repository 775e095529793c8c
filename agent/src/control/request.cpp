// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Control requests: bytes from a client in, a typed Request or one sentence
// out. Kept apart from the agent so it can be fuzzed and table-tested; a
// client is anyone who can connect, so nothing here may trust the bytes.
#include "control/request.hpp"

#include <array>
#include <stdexcept>
#include <utility>

namespace minewatch::control {

namespace {
using nlohmann::json;

constexpr std::array<std::pair<std::string_view, Command>, 11> kCommands{{
    {"status", Command::Status},
    {"flows", Command::Flows},
    {"detections", Command::Detections},
    {"explain", Command::Explain},
    {"block_add", Command::BlockAdd},
    {"block_del", Command::BlockDel},
    {"block_list", Command::BlockList},
    {"allow_add", Command::AllowAdd},
    {"allow_del", Command::AllowDel},
    {"allow_list", Command::AllowList},
    {"confirmations", Command::Confirmations},
}};

std::string str(const json &request, const char *field) {
  auto it = request.find(field);
  if (it == request.end() || !it->is_string())
    throw std::invalid_argument(std::string("'") + field + "' is required and must be a string");
  return it->get<std::string>();
}

std::optional<std::uint64_t> num(const json &request, const char *field, std::uint64_t max) {
  auto it = request.find(field);
  if (it == request.end() || it->is_null())
    return std::nullopt;
  // The parser types every non-negative integer unsigned; a float that
  // happens to be whole (3600.0) is still not a count.
  if (!it->is_number_unsigned())
    throw std::invalid_argument(std::string("'") + field + "' must be a non-negative whole number");
  auto value = it->get<std::uint64_t>();
  if (value > max)
    throw std::invalid_argument(std::string("'") + field + "' must be at most " + std::to_string(max));
  return value;
}

bool flag(const json &request, const char *field) {
  auto it = request.find(field);
  if (it == request.end() || it->is_null())
    return false;
  if (!it->is_boolean())
    throw std::invalid_argument(std::string("'") + field + "' must be true or false");
  return it->get<bool>();
}

Command commandOf(const std::string &name) {
  for (const auto &[text, command] : kCommands)
    if (name == text)
      return command;
  // The name came from valid JSON, so it is valid UTF-8; dumpJson still
  // guards the answer. Long names are cut: the error is one short line.
  throw std::invalid_argument("unknown command '" + name.substr(0, 64) + (name.size() > 64 ? "...'" : "'"));
}

Request typed(const json &object) {
  if (!object.is_object())
    throw std::invalid_argument("a request is a JSON object");
  Request r;
  r.command = commandOf(str(object, "cmd"));
  switch (r.command) {
  case Command::Flows:
    r.top = static_cast<std::size_t>(num(object, "top", 1u << 24).value_or(0));
    if (object.contains("sort") && !object["sort"].is_null()) {
      auto sort = str(object, "sort");
      if (sort == "bytes")
        r.sort = FlowSort::Bytes;
      else if (sort == "packets")
        r.sort = FlowSort::Packets;
      else if (sort == "age")
        r.sort = FlowSort::Age;
      else
        throw std::invalid_argument("'sort' must be bytes, packets or age");
    }
    break;
  case Command::Explain: r.flow = str(object, "flow"); break;
  case Command::BlockAdd:
    r.ttl_s = num(object, "ttl", kMaxTtlSeconds).value_or(0);
    r.target = str(object, "target");
    r.everything = flag(object, "everything");
    break;
  case Command::AllowAdd:
    r.target = str(object, "target");
    r.everything = flag(object, "everything");
    break;
  case Command::BlockDel:
  case Command::AllowDel: r.target = str(object, "target"); break;
  case Command::BlockList:
  case Command::AllowList:
    r.offset = num(object, "offset", UINT64_MAX).value_or(0);
    r.limit = num(object, "limit", UINT64_MAX);
    break;
  case Command::Status:
  case Command::Detections:
  case Command::Confirmations: break;
  }
  return r;
}
} // namespace

Request parseRequest(std::string_view line) {
  json object;
  try {
    object = json::parse(line.begin(), line.end());
  } catch (const json::parse_error &e) {
    // e.what() quotes the offending bytes raw; say where instead.
    throw std::invalid_argument("bad request: not a JSON object on one line (error at byte " + std::to_string(e.byte) +
                                ")");
  } catch (const std::exception &) {
    throw std::invalid_argument("bad request: not a JSON object on one line");
  }
  try {
    return typed(object);
  } catch (const std::invalid_argument &) {
    throw;
  } catch (const std::exception &) {
    // Whatever the JSON library throws on a shape we did not foresee.
    throw std::invalid_argument("bad request: a field has the wrong type");
  }
}

bool changesRules(Command command) {
  switch (command) {
  case Command::BlockAdd:
  case Command::BlockDel:
  case Command::AllowAdd:
  case Command::AllowDel: return true;
  default: return false;
  }
}

std::string dumpJson(const nlohmann::json &value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string answerOk(const nlohmann::json &data) { return dumpJson(json{{"ok", true}, {"data", data}}); }

std::string answerError(std::string_view why) {
  try {
    return dumpJson(json{{"ok", false}, {"error", std::string(why)}});
  } catch (...) {
    // Only allocation can fail here; the client still gets a line.
    return R"({"error":"agent error","ok":false})";
  }
}

} // namespace minewatch::control
