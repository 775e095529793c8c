// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "config/agent_config.hpp"

namespace minewatch::app {

/// Attaches to config.interface and runs until SIGINT/SIGTERM: one thread, an
/// epoll loop over the tick timer, the ring buffer, the control socket and
/// the signals. Returns the process exit status.
int runLive(const config::AgentConfig &config, bool verbose);

} // namespace minewatch::app
