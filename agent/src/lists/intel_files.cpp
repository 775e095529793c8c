// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "lists/intel_files.hpp"

#include "lists/watched_files.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace minewatch::lists {

detect::IntelFeed reloadIntel(const config::AgentConfig &config, std::vector<std::string> &notes,
                              std::vector<std::string> &errors) {
  detect::IntelFeed feed;
  auto expanded = lists::expandPaths(config.intel_feeds);
  errors.insert(errors.end(), expanded.errors.begin(), expanded.errors.end());
  errors.insert(errors.end(), expanded.skipped.begin(), expanded.skipped.end());
  for (const auto &path : expanded.files) {
    detect::IntelFeed::LoadReport r;
    try {
      r = feed.loadFile(path);
    } catch (const std::exception &e) {
      errors.push_back(e.what());
      continue;
    }
    auto note = fmt::format("intel feed {}: {} domains, {} networks", path, r.domains, r.cidrs);
    if (r.skipped)
      note += fmt::format(", {} lines skipped (first at line {})", r.skipped, r.first_skipped_line);
    notes.push_back(note);
  }
  for (auto port : config.intel_ports)
    feed.addPort(port);
  return feed;
}

detect::IntelFeed loadIntel(const config::AgentConfig &config, std::vector<std::string> &notes) {
  std::vector<std::string> errors;
  auto feed = reloadIntel(config, notes, errors);
  if (!errors.empty())
    throw std::runtime_error("intel feed " + errors.front());
  return feed;
}

} // namespace minewatch::lists
