// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "detect/correlation_detector.hpp"

#include <fmt/format.h>

namespace minewatch::detect {

void CorrelationDetector::markMining(const net::Address &client, const ServerEndpoint &server, const std::string &why,
                                     std::uint64_t when_ns, std::uint64_t flow) {
  Pair pair{client, server};
  if (taints_.count(pair))
    return; // keep the first reason: it is the one that explains the rest
  if (taints_.size() >= capacity_) {
    taints_.erase(taint_order_.front());
    taint_order_.pop_front();
  }
  taint_order_.push_back(pair);
  taints_[pair] = Taint{why, when_ns, flow, std::prev(taint_order_.end())};
}

void CorrelationDetector::markPattern(const net::Address &client, const ServerEndpoint &server) {
  auto it = fan_in_.find(server);
  if (it == fan_in_.end()) {
    if (fan_in_.size() >= capacity_) {
      fan_in_.erase(fan_in_order_.front());
      fan_in_order_.pop_front();
    }
    fan_in_order_.push_back(server);
    it = fan_in_.emplace(server, std::set<net::Address>{}).first;
  }
  if (it->second.size() < 1024) // enough to decide; bounded per server
    it->second.insert(client);
}

std::optional<Evidence> CorrelationDetector::taint(const net::Address &client, const ServerEndpoint &server,
                                                   std::uint64_t flow) const {
  auto it = taints_.find(Pair{client, server});
  if (it == taints_.end() || (flow != 0 && it->second.flow == flow))
    return std::nullopt;
  return Evidence{Detector::Correlation, kTaintWeight,
                  fmt::format("{} was already seen mining with {} ({})", client.toString(),
                              net::endpointText(server.address, server.port), it->second.why)};
}

std::optional<Evidence> CorrelationDetector::fanIn(const ServerEndpoint &server) const {
  auto it = fan_in_.find(server);
  if (it == fan_in_.end() || it->second.size() < min_clients_)
    return std::nullopt;
  return Evidence{Detector::Correlation, kFanInWeight,
                  fmt::format("{} clients talk to {}:{} with the same mining-like pattern", it->second.size(),
                              server.address.toString(), server.port)};
}

} // namespace minewatch::detect
