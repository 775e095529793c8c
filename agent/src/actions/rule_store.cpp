// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "actions/rule_store.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace minewatch::actions {

namespace {
constexpr int kVersion = 1;

[[noreturn]] void fail(const std::string &what) { throw std::system_error(errno, std::generic_category(), what); }

void writeAll(int fd, const std::string &text, const std::string &path) {
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fail("write " + path);
    done += static_cast<std::size_t>(n);
  }
}
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

void saveRuleBook(const std::string &path, const SavedRuleBook &book) {
  namespace fs = std::filesystem;
  auto dir = fs::path(path).parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw std::system_error(ec, "create " + dir.string());
  auto tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    fail("create " + tmp);
  try {
    writeAll(fd, toJson(book), tmp);
    if (::fsync(fd) != 0)
      fail("fsync " + tmp);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    fail("rename " + tmp + " to " + path);
  // The rename is durable only once the directory entry is.
  int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

std::optional<SavedRuleBook> loadRuleBook(const std::string &path, std::string &warning) {
  warning.clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno != ENOENT)
      warning = "rule book " + path + " cannot be read (" + std::generic_category().message(errno) + ")";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    return parseRuleBook(text.str());
  } catch (const std::invalid_argument &e) {
    warning = "rule book " + path + " is corrupt (" + e.what() + ")";
    return std::nullopt;
  }
}

} // namespace minewatch::actions
