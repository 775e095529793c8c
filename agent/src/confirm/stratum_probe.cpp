// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "confirm/stratum_probe.hpp"

namespace minewatch::confirm {

ProbeReport askInStratum(const ProbeRequest &, const config::ConfirmConfig &, const ProbeContext &) {
  ProbeReport report;
  report.result = ConfirmResult::Failed;
  report.summary = "no prober yet";
  return report;
}

} // namespace minewatch::confirm
