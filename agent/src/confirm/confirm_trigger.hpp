// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "config/agent_config.hpp"
#include "detect/assessment.hpp"

namespace minewatch::confirm {

/// Whether a judged TCP flow's server is worth asking (confirm.when):
///  - never when the verdict is already mining, or a confirmation (either
///    way) is part of it: nothing a probe could add;
///  - Suspicious: a suspicious flow, or a TLS flow with rhythm or behaviour
///    evidence and nothing from intel (encrypted mining to an unlisted pool
///    seldom gets further than that on its own);
///  - Evidence: any evidence with weight.
bool worthConfirming(config::ConfirmConfig::When when, const detect::Assessment &assessment, bool tls);

} // namespace minewatch::confirm
