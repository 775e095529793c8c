// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "confirm/confirmation_store.hpp"

#include "util/durable_file.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace minewatch::confirm {

namespace {
constexpr int kVersion = 1;
} // namespace

std::optional<ConfirmResult> parseConfirmResult(std::string_view text) {
  for (auto r : kConfirmResults)
    if (toString(r) == text)
      return r;
  return std::nullopt;
}

std::string toJson(const std::vector<Confirmation> &confirmations) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto &c : confirmations)
    entries.push_back({{"address", c.asked.server.address.toString()},
                       {"port", c.asked.server.port},
                       {"tls", c.asked.tls},
                       {"sni", c.asked.sni},
                       {"result", toString(c.report.result)},
                       {"summary", c.report.summary},
                       {"dialect", c.report.dialect},
                       {"sent", c.report.sent},
                       {"answer_head", c.report.answer_head},
                       {"elapsed_ms", c.report.elapsed.count()},
                       {"probed_wall_ns", c.probed_wall_ns},
                       {"expires_wall_ns", c.expires_wall_ns},
                       {"failures", c.failures}});
  return nlohmann::json{{"version", kVersion}, {"confirmations", entries}}.dump(1) + "\n";
}

std::vector<Confirmation> parseConfirmations(const std::string &text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    throw std::invalid_argument("not JSON");
  if (doc.value("version", 0) != kVersion)
    throw std::invalid_argument("unknown version");
  auto entries = doc.find("confirmations");
  if (entries == doc.end() || !entries->is_array())
    throw std::invalid_argument("no confirmations list");
  std::vector<Confirmation> out;
  for (const auto &j : *entries) {
    try {
      auto address = net::Address::parse(j.at("address").get<std::string>());
      auto result = parseConfirmResult(j.at("result").get<std::string>());
      auto port = j.at("port").get<unsigned>();
      if (!address || !result || port > 65535)
        continue;
      Confirmation c;
      c.asked = {{*address, static_cast<std::uint16_t>(port)}, j.value("tls", false), j.value("sni", "")};
      c.report = {*result,
                  j.value("summary", ""),
                  j.value("dialect", ""),
                  j.value("sent", ""),
                  j.value("answer_head", ""),
                  std::chrono::milliseconds(j.value("elapsed_ms", std::int64_t{0})),
                  {}};
      c.probed_wall_ns = j.value("probed_wall_ns", std::uint64_t{0});
      c.expires_wall_ns = j.value("expires_wall_ns", std::uint64_t{0});
      c.failures = j.value("failures", 0u);
      out.push_back(std::move(c));
    } catch (const nlohmann::json::exception &) {
      continue; // one bad entry costs only itself
    }
  }
  return out;
}

void saveConfirmations(const std::string &path, const std::vector<Confirmation> &confirmations) {
  util::writeFileDurably(path, toJson(confirmations));
}

std::vector<Confirmation> loadConfirmations(const std::string &path, std::string &warning) {
  warning.clear();
  std::string error;
  auto text = util::readWholeFile(path, error);
  if (!text) {
    warning = error.empty() ? "" : "confirmations " + error;
    return {};
  }
  try {
    return parseConfirmations(*text);
  } catch (const std::invalid_argument &e) {
    warning = "confirmations " + path + " is corrupt (" + e.what() + "): starting without them";
    return {};
  }
}

} // namespace minewatch::confirm
