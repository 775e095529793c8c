// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "config/agent_config.hpp"
#include "detect/intel_feed.hpp"

#include <string>
#include <vector>

namespace minewatch::lists {

/// Loads the config's intel feeds (files, or directories of them) and ports.
/// Feed lines that are not entries are skipped; each feed's counts go to
/// `notes`. Throws when a feed cannot be read (a missing feed is a config
/// mistake, not something to ignore).
detect::IntelFeed loadIntel(const config::AgentConfig &config, std::vector<std::string> &notes);
/// The same for a reload: unreadable paths land in `errors`, never thrown.
detect::IntelFeed reloadIntel(const config::AgentConfig &config, std::vector<std::string> &notes,
                              std::vector<std::string> &errors);

} // namespace minewatch::lists
