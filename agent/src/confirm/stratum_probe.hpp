// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "config/agent_config.hpp"
#include "confirm/confirmer.hpp"

#include <atomic>

namespace minewatch::confirm {

/// Asks `request.server` in each Stratum dialect in turn (the prober),
/// within the config's timeouts and read cap, giving up when
/// `context.cancel` turns true: what the Confirmer runs on its threads.
ProbeReport askInStratum(const ProbeRequest &request, const config::ConfirmConfig &config, const ProbeContext &context);

} // namespace minewatch::confirm
