// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "confirm/stratum_probe.hpp"

#include "confirm/prober.hpp"

namespace minewatch::confirm {

ProbeReport askInStratum(const ProbeRequest &request, const config::ConfirmConfig &config,
                         const ProbeContext &context) {
  ProbeTarget target;
  target.address = request.server.address;
  target.port = request.server.port;
  target.tls = request.tls;
  target.sni = request.sni;
  ProbeLimits limits;
  limits.connect_timeout = limits.read_timeout = std::chrono::milliseconds(config.timeout_ms);
  limits.read_cap = config.read_cap;
  ProbeHooks hooks;
  hooks.cancel = &context.cancel;
  hooks.connected = [&](const net::Address &local, std::uint16_t port) {
    if (context.connected)
      context.connected({local, port});
  };
  auto result = probe(target, limits, hooks);

  ProbeReport report;
  report.result = result.outcome;
  report.summary = result.summary;
  report.elapsed = result.elapsed;
  if (!result.exchanges.empty()) {
    // The exchange that decided (the last one tried), as explain shows it.
    const auto &last = result.exchanges.back();
    report.dialect = std::string(toString(last.dialect));
    report.sent = last.sent_methods;
    report.answer_head = last.answer_head;
  }
  return report;
}

} // namespace minewatch::confirm
