// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "actions/rule_store.hpp"

#include "util/durable_file.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace minewatch::actions {

namespace {
constexpr int kVersion = 1;
} // namespace

std::string toJson(const SavedRuleBook &book) {
  nlohmann::json blocks = nlohmann::json::array(), allows = nlohmann::json::array();
  for (const auto &rule : book.rules.blocks)
    blocks.push_back({{"id", rule.id},
                      {"target", rules::toString(rule.target)},
                      {"source", toString(rule.source)},
                      {"reason", rule.reason},
                      {"created_ns", rule.created_ns},
                      {"expires_ns", rule.expires_ns}});
  for (const auto &rule : book.rules.allows)
    allows.push_back({{"target", rules::toString(rule.target)},
                      {"source", toString(rule.source)},
                      {"reason", rule.reason},
                      {"created_ns", rule.created_ns}});
  nlohmann::json out = {
      {"version", kVersion}, {"block_map_id", book.block_map_id}, {"blocks", blocks}, {"allows", allows}};
  // Reasons quote list files and detections: never let a bad byte throw.
  return out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

namespace {
RuleSource sourceOf(const nlohmann::json &entry) {
  auto text = entry.at("source").get<std::string>();
  if (auto source = parseRuleSource(text))
    return *source;
  throw std::invalid_argument("bad entry: unknown source '" + text + "'");
}
} // namespace

SavedRuleBook parseRuleBook(const std::string &text) {
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object())
    throw std::invalid_argument("not JSON");
  if (json.value("version", 0) != kVersion)
    throw std::invalid_argument("unknown version");
  SavedRuleBook book;
  try {
    book.block_map_id = json.at("block_map_id").get<std::uint32_t>();
    for (const auto &j : json.at("blocks")) {
      auto target = rules::parseRuleTarget(j.at("target").get<std::string>());
      if (!target)
        continue;
      BlockRule rule;
      rule.id = j.value("id", 0u);
      rule.target = *target;
      rule.source = sourceOf(j);
      rule.reason = j.value("reason", "");
      rule.created_ns = j.value("created_ns", std::uint64_t{0});
      rule.expires_ns = j.value("expires_ns", std::uint64_t{0});
      book.rules.blocks.push_back(std::move(rule));
    }
    for (const auto &j : json.at("allows")) {
      auto target = rules::parseRuleTarget(j.at("target").get<std::string>());
      if (target)
        book.rules.allows.push_back(
            {*target, sourceOf(j), j.value("reason", ""), j.value("created_ns", std::uint64_t{0})});
    }
  } catch (const nlohmann::json::exception &e) {
    throw std::invalid_argument(std::string("bad entry: ") + e.what());
  }
  return book;
}

void saveRuleBook(const std::string &path, const SavedRuleBook &book) { util::writeFileDurably(path, toJson(book)); }

std::optional<SavedRuleBook> loadRuleBook(const std::string &path, std::string &warning) {
  warning.clear();
  std::string error;
  auto text = util::readWholeFile(path, error);
  if (!text) {
    warning = error.empty() ? "" : "rule book " + error;
    return std::nullopt;
  }
  try {
    return parseRuleBook(*text);
  } catch (const std::invalid_argument &e) {
    warning = "rule book " + path + " is corrupt (" + e.what() + ")";
    return std::nullopt;
  }
}

} // namespace minewatch::actions
