// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "judge/suspect_servers.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

namespace minewatch::judge {

SuspectServers topSuspectServers(std::span<const SuspectFlow> flows, std::size_t top) {
  using Endpoint = std::tuple<net::Address, std::uint16_t, std::uint8_t>;
  struct Seen {
    std::set<net::Address> clients;
    std::string name;
  };
  std::map<Endpoint, Seen> by_endpoint;
  for (const auto &flow : flows) {
    auto &seen = by_endpoint[{flow.server, flow.port, flow.proto}];
    seen.clients.insert(flow.client);
    if (!flow.server_name.empty() && (seen.name.empty() || flow.server_name < seen.name))
      seen.name = flow.server_name;
  }
  SuspectServers out;
  out.top.reserve(by_endpoint.size());
  for (auto &[endpoint, seen] : by_endpoint)
    out.top.push_back({std::get<0>(endpoint), std::get<1>(endpoint), std::get<2>(endpoint), std::move(seen.name),
                       seen.clients.size()});
  // The map is already in endpoint order: a stable sort by clients keeps it
  // for ties.
  std::stable_sort(out.top.begin(), out.top.end(),
                   [](const SuspectServer &a, const SuspectServer &b) { return a.clients > b.clients; });
  if (out.top.size() > top) {
    out.dropped = out.top.size() - top;
    out.top.resize(top);
  }
  return out;
}

} // namespace minewatch::judge
