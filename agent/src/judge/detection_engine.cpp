// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "net/address.hpp"
#include "judge/detection_engine.hpp"

#include "detect/rhythm_weights.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace minewatch::judge {

namespace {
detect::BehaviourSettings behaviourSettings(const config::AgentConfig &config) {
  detect::BehaviourSettings s;
  s.min_duration_s = config.min_duration_s;
  return s;
}

/// Which flow of its (client, server) pair this is: ports and protocol,
/// never 0 (0 means "not named" to the correlation detector).
std::uint64_t flowWithinPair(const FlowRoles &roles) {
  return (std::uint64_t{1} << 40) | (std::uint64_t{roles.client.port} << 24) | (std::uint64_t{roles.server.port} << 8) |
         roles.proto;
}
} // namespace

DetectionEngine::DetectionEngine(const config::AgentConfig &config, detect::IntelFeed intel)
    : thresholds_{config.suspicious_threshold, config.mining_threshold}, intel_(std::move(intel)),
      behaviour_(behaviourSettings(config)), correlation_(config.correlation_clients) {}

detect::Assessment DetectionEngine::evaluate(const FlowRoles &roles, const detect::FlowFeatures &features,
                                             const FlowFacts *known, const detect::MessageSequence *sequence) const {
  std::vector<detect::Evidence> evidence;

  // When each piece of evidence could first be known: a fact at its
  // packet, the flow's shape at its latest packet, what the addresses
  // alone say at its first.
  auto first = features.firstSeen(), last = features.lastSeen();
  std::uint64_t hello_at = first;
  // Protocol signatures: one piece of evidence per distinct protocol and side.
  if (known) {
    std::set<std::pair<classify::Protocol, Side>> seen;
    for (const auto &fact : known->payload) {
      if (fact.protocol == classify::Protocol::TlsClientHello)
        hello_at = fact.ts_ns;
      if (!fact.mining || !seen.insert({fact.protocol, fact.side}).second)
        continue;
      evidence.push_back(
          {detect::Detector::Signature, kSignatureWeight,
           fmt::format("{} from the {}: {}", classify::protocolName(fact.protocol), toString(fact.side), fact.summary),
           fact.ts_ns});
    }
  }

  // Threat intel: the server's address, its name, its port.
  if (auto cidr = intel_.matchAddress(roles.server.address))
    evidence.push_back(
        {detect::Detector::Intel, kIntelWeight,
         fmt::format("server {} is listed in an intel feed ({})", roles.server.address.toString(), *cidr), first});
  if (known && !known->server_name.empty()) {
    if (auto entry = intel_.matchDomain(known->server_name))
      evidence.push_back({detect::Detector::Intel, kIntelWeight,
                          fmt::format("server name {} is a known mining pool ({})", known->server_name, *entry),
                          hello_at});
  }
  if (intel_.matchPort(roles.server.port))
    evidence.push_back({detect::Detector::Intel, kPortWeight,
                        fmt::format("server port {} is common for mining pools", roles.server.port), first});
  // Only a hello read to its end shows there is no SNI; XMRig's outgrew the
  // short sample, and one cut short may name its server past the cut.
  if (known && known->tls_hello && known->tls_hello->complete && known->tls_hello->sni.empty())
    evidence.push_back({detect::Detector::Signature, kNoSniWeight,
                        "TLS ClientHello without a server name, as XMRig sends by default", hello_at});

  // A server that answered a Stratum login as a pool does is a pool, for
  // every flow to it (even one that never carried payload).
  // A probe that could not connect said nothing either way.
  if (const auto *c = confirmations_ ? confirmations_(roles.server) : nullptr;
      c && c->report.result != confirm::ConfirmResult::Failed) {
    bool confirmed = c->report.result == confirm::ConfirmResult::Confirmed;
    evidence.push_back({detect::Detector::Confirmation, confirmed ? kConfirmedWeight : 0.0,
                        (confirmed ? "confirmed a pool: " : "not confirmed: ") + c->report.summary, first});
  }

  // What rests on the flow's history or on other flows is known at its
  // latest packet.
  auto add_at_last = [&](std::optional<detect::Evidence> e) {
    if (e) {
      e->at_ns = last;
      evidence.push_back(std::move(*e));
    }
  };
  add_at_last(behaviour_.evaluate(features));
  if (sequence)
    add_at_last(rhythm_.evaluate(*sequence));
  // A taint reaches the endpoint that was seen mining, not the pool host's
  // other ports: a SYN to its :443 or :25 is not mining by inheritance.
  detect::CorrelationDetector::ServerEndpoint server{roles.server.address, roles.server.port};
  add_at_last(correlation_.taint(roles.client.address, server, flowWithinPair(roles)));
  add_at_last(correlation_.fanIn(server));

  return detect::assess(std::move(evidence), thresholds_);
}

void DetectionEngine::learn(const FlowRoles &roles, const detect::Assessment &assessment, std::uint64_t now_ns) {
  // Taint only from first-hand evidence: a flow judged mining because of an
  // earlier taint must not renew or spread it.
  std::vector<detect::Evidence> own;
  for (const auto &e : assessment.evidence)
    if (e.detector != detect::Detector::Correlation)
      own.push_back(e);
  auto first_hand = detect::assess(own, thresholds_);
  if (first_hand.verdict == detect::Verdict::Mining && !own.empty())
    correlation_.markMining(roles.client.address, {roles.server.address, roles.server.port},
                            detect::toString(own.front().detector), now_ns, flowWithinPair(roles));
  // A client counts towards its server's fan-in only when its conversation
  // has a pool's rhythm with Stratum-sized messages: counters alone
  // (behaviour) cannot tell a mining session from an event stream, pairing
  // alone is every push channel with pings, and several clients of one such
  // server are common (the lab's event-stream and MQTT fleets reached
  // suspicious that way).
  bool shaped = std::any_of(assessment.evidence.begin(), assessment.evidence.end(), [](const auto &e) {
    return e.detector == detect::Detector::Rhythm && e.weight >= detect::kRhythmSizedWeight;
  });
  if (shaped)
    correlation_.markPattern(roles.client.address, {roles.server.address, roles.server.port});
}

} // namespace minewatch::judge
