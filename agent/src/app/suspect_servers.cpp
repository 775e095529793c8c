// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "app/suspect_servers.hpp"

#include "app/json_views.hpp"
#include "app/metrics_text.hpp"
#include "classify/text_util.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>

namespace minewatch::app {

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

void renderSuspectServers(MetricsText &page, const SuspectServers &servers) {
  page.family("minewatch_suspect_server_clients", "gauge",
              "Distinct clients on this node with suspicious or mining flows to a server endpoint; "
              "only the metrics.suspect_servers_top endpoints with the most clients");
  for (const auto &s : servers.top) {
    auto port = std::to_string(s.port);
    // The name came off the wire (SNI) or from DNS: a label value must be
    // valid UTF-8, so anything but printable ASCII is replaced.
    auto sni = classify::printableAscii(s.server_name);
    page.sample("minewatch_suspect_server_clients", static_cast<double>(s.clients),
                {{"server", s.server.toString()}, {"port", port}, {"proto", protoName(s.proto)}, {"sni", sni}});
  }
  page.family("minewatch_suspect_servers_dropped", "gauge",
              "Server endpoints with suspicious or mining flows left off minewatch_suspect_server_clients by its cap");
  page.sample("minewatch_suspect_servers_dropped", static_cast<double>(servers.dropped));
}

} // namespace minewatch::app
