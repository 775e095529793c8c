// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "api/json_views.hpp"

#include "util/time_format.hpp"

namespace minewatch::api {

const char *protoName(std::uint8_t proto) {
  switch (proto) {
  case 6: return "tcp";
  case 17: return "udp";
  case 1: return "icmp";
  case 58: return "icmpv6";
  default: return "other";
  }
}

nlohmann::json flowJson(const judge::FlowRoles &roles) {
  return {{"src", roles.client.address.toString()},
          {"dst", roles.server.address.toString()},
          {"sport", roles.client.port},
          {"dport", roles.server.port},
          {"proto", protoName(roles.proto)}};
}

nlohmann::json detectionJson(const judge::Detection &d) {
  nlohmann::json reasons = nlohmann::json::array();
  for (const auto &e : d.assessment.evidence)
    reasons.push_back(e.reason);
  return {{"id", d.id},
          {"flow", flowJson(d.roles)},
          {"verdict", detect::toString(d.assessment.verdict)},
          {"confidence", std::round(d.assessment.confidence * 1000.0) / 1000.0},
          {"reasons", reasons},
          {"first_seen", util::rfc3339(d.first_seen_wall_ns)},
          {"detected_at", util::rfc3339(d.detected_at_wall_ns)},
          {"action", judge::toString(d.action)}};
}

namespace {
nlohmann::json directionJson(const detect::DirectionFeatures &d) {
  return {{"packets", d.packets},         {"bytes", d.bytes},         {"payload_bytes", d.payload_bytes},
          {"psh_packets", d.psh_packets}, {"tcp_flags", d.tcp_flags}, {"size_hist", d.size_hist},
          {"iat_hist", d.iat_hist}};
}
} // namespace

nlohmann::json featuresJson(const detect::FlowFeatures &f) {
  return {{"duration_s", static_cast<double>(f.durationNs()) / 1e9},
          {"initiator_known", f.initiator_known},
          {"client", directionJson(f.client)},
          {"server", directionJson(f.server)}};
}

nlohmann::json behaviourJson(const detect::BehaviourReport &r) {
  return {{"duration_s", r.duration_s},
          {"client_messages_per_min", r.client_messages_per_min},
          {"psh_share", r.psh_share},
          {"stratum_size_share", r.stratum_size_share},
          {"regular_share", r.regular_share},
          {"met", r.met},
          {"unmet", r.unmet}};
}

nlohmann::json ruleJson(const actions::BlockRule &rule, std::uint64_t now_ns, const util::TimeBase &time_base) {
  nlohmann::json j = {
      {"id", rule.id},         {"target", rules::toString(rule.target)},    {"source", actions::toString(rule.source)},
      {"reason", rule.reason}, {"created", util::rfc3339(rule.created_ns)}, {"hits", rule.hits}};
  // When it first dropped something: detection-to-block latency.
  j["first_hit"] = rule.first_hit_ns ? nlohmann::json(util::rfc3339(time_base.toWall(rule.first_hit_ns))) : nullptr;
  if (rule.expires_ns)
    j["ttl_remaining_s"] = rule.expires_ns > now_ns ? (rule.expires_ns - now_ns) / 1'000'000'000ull : 0;
  else
    j["ttl_remaining_s"] = nullptr;
  return j;
}

} // namespace minewatch::api

namespace minewatch::api {

nlohmann::json confirmationJson(const confirm::Confirmation &c) {
  return {{"server", net::endpointText(c.asked.server.address, c.asked.server.port)},
          {"tls", c.asked.tls},
          {"sni", c.asked.sni},
          {"result", confirm::toString(c.report.result)},
          {"summary", c.report.summary},
          {"dialect", c.report.dialect},
          {"sent", c.report.sent},
          {"answer_head", c.report.answer_head},
          {"elapsed_ms", c.report.elapsed.count()},
          {"probed_at", util::rfc3339(c.probed_wall_ns)},
          {"until", util::rfc3339(c.expires_wall_ns)}};
}

} // namespace minewatch::api
