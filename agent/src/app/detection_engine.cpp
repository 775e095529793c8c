// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "net/address.hpp"
#include "app/detection_engine.hpp"

#include "lists/watched_files.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace minewatch::app {

namespace {
detect::BehaviourSettings behaviourSettings(const config::AgentConfig &config) {
  detect::BehaviourSettings s;
  s.min_duration_s = config.min_duration_s;
  return s;
}

std::string serverText(const FlowRoles &roles) {
  return net::endpointText(roles.server.address, roles.server.port);
}

/// Which flow of its (client, server) pair this is: ports and protocol,
/// never 0 (0 means "not named" to the correlation detector).
std::uint64_t flowWithinPair(const FlowRoles &roles) {
  return (std::uint64_t{1} << 40) | (std::uint64_t{roles.client.port} << 24) |
         (std::uint64_t{roles.server.port} << 8) | roles.proto;
}
} // namespace

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

DetectionEngine::DetectionEngine(const config::AgentConfig &config, detect::IntelFeed intel)
    : thresholds_{config.suspicious_threshold, config.mining_threshold}, intel_(std::move(intel)),
      behaviour_(behaviourSettings(config)), correlation_(config.correlation_clients) {}

detect::Assessment DetectionEngine::evaluate(const FlowRoles &roles, const detect::FlowFeatures &features,
                                             const FlowNotes *notes) const {
  std::vector<detect::Evidence> evidence;

  // Protocol signatures: one piece of evidence per distinct protocol and side.
  if (notes) {
    std::set<std::string> seen;
    for (const auto &fact : notes->facts) {
      if (!fact.mining || !seen.insert(fact.protocol + fact.side).second)
        continue;
      evidence.push_back({"signature", kSignatureWeight,
                          fmt::format("{} from the {}: {}", fact.protocol, fact.side, fact.summary)});
    }
  }

  // Threat intel: the server's address, its name, its port.
  if (auto cidr = intel_.matchAddress(roles.server.address))
    evidence.push_back({"intel", kIntelWeight,
                        fmt::format("server {} is listed in an intel feed ({})", roles.server.address.toString(), *cidr)});
  if (notes && !notes->server_name.empty()) {
    if (auto entry = intel_.matchDomain(notes->server_name))
      evidence.push_back({"intel", kIntelWeight,
                          fmt::format("server name {} is a known mining pool ({})", notes->server_name, *entry)});
  }
  if (intel_.matchPort(roles.server.port))
    evidence.push_back({"intel", kPortWeight, fmt::format("server port {} is common for mining pools", roles.server.port)});
  // Only a hello read to its end shows there is no SNI; XMRig's outgrew the
  // short sample, and one cut short may name its server past the cut.
  if (notes && notes->tls_hello && notes->tls_hello->complete && notes->tls_hello->sni.empty())
    evidence.push_back({"signature", kNoSniWeight, "TLS ClientHello without a server name, as XMRig sends by default"});

  if (auto shape = behaviour_.evaluate(features))
    evidence.push_back(*shape);

  if (auto taint = correlation_.taint(roles.client.address, roles.server.address, flowWithinPair(roles)))
    evidence.push_back(*taint);
  if (auto fan = correlation_.fanIn({roles.server.address, roles.server.port}))
    evidence.push_back(*fan);

  return detect::assess(std::move(evidence), thresholds_);
}

void DetectionEngine::learn(const FlowRoles &roles, const detect::Assessment &assessment, std::uint64_t now_ns) {
  // Taint only from first-hand evidence: a flow judged mining because of an
  // earlier taint must not renew or spread it.
  std::vector<detect::Evidence> own;
  for (const auto &e : assessment.evidence)
    if (e.detector != "correlation")
      own.push_back(e);
  auto first_hand = detect::assess(own, thresholds_);
  if (first_hand.verdict == detect::Verdict::Mining && !own.empty())
    correlation_.markMining(roles.client.address, roles.server.address,
                            fmt::format("{} on {}", own.front().detector, serverText(roles)), now_ns,
                            flowWithinPair(roles));
  bool shaped = std::any_of(assessment.evidence.begin(), assessment.evidence.end(),
                            [](const auto &e) { return e.detector == "behaviour"; });
  if (shaped)
    correlation_.markPattern(roles.client.address, {roles.server.address, roles.server.port});
}

} // namespace minewatch::app
