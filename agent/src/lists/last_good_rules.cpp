// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "lists/last_good_rules.hpp"

namespace minewatch::lists {

LastGoodRules::Loader LastGoodRules::defaultLoader() {
  return [](const std::string &path) { return loadRuleFiles({path}); };
}

LastGoodRules::LastGoodRules(Loader loader) : loader_(std::move(loader)) {}

RuleFileSet LastGoodRules::load(const std::vector<std::string> &paths, std::uint64_t wall_ns) {
  RuleFileSet out;
  std::map<std::string, Source> kept;
  for (const auto &path : paths) {
    auto fresh = loader_(path);
    auto &source = kept[path];
    if (auto it = sources_.find(path); it != sources_.end())
      source = it->second;
    out.errors.insert(out.errors.end(), fresh.errors.begin(), fresh.errors.end());
    out.unreadable.insert(out.unreadable.end(), fresh.unreadable.begin(), fresh.unreadable.end());
    if (fresh.unreadable.empty()) {
      source.rules = std::move(fresh.rules);
      source.stale = false;
      source.state = {};
      out.files += fresh.files;
    } else {
      if (!source.stale)
        source.state = {path, wall_ns, fresh.unreadable.front(), 0};
      source.stale = true;
      source.state.error = fresh.unreadable.front();
      source.state.rules_kept = source.rules.size();
    }
    out.rules.insert(out.rules.end(), source.rules.begin(), source.rules.end());
  }
  sources_ = std::move(kept); // a path no longer configured keeps nothing
  return out;
}

std::vector<StaleSource> LastGoodRules::stale() const {
  std::vector<StaleSource> out;
  for (const auto &[path, source] : sources_)
    if (source.stale)
      out.push_back(source.state);
  return out;
}

bool LastGoodRules::isStale(const std::string &path) const {
  auto it = sources_.find(path);
  return it != sources_.end() && it->second.stale;
}

} // namespace minewatch::lists
