// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The public captures of tests/data/pcaps, fed as the sensor would feed them:
// per flow direction the first 4 payload packets, each cut to 256 bytes.
#include "pcap_samples.hpp"
#include "test_util.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <map>
#include <set>

using namespace minewatch;
using namespace minewatch::test;
using classify::Protocol;

namespace {
/// What the classifier made of one flow direction.
struct DirectionResult {
  DirectionSamples samples;
  std::vector<classify::PayloadFacts> facts;

  [[nodiscard]] bool mining() const {
    for (const auto &f : facts)
      if (f.mining)
        return true;
    return false;
  }
  [[nodiscard]] std::set<Protocol> miningProtocols() const {
    std::set<Protocol> out;
    for (const auto &f : facts)
      if (f.mining)
        out.insert(f.protocol);
    return out;
  }
  [[nodiscard]] std::string agent() const {
    for (const auto &f : facts)
      if (!f.agent.empty())
        return f.agent;
    return {};
  }
  [[nodiscard]] std::uint16_t serverPort() const {
    return samples.direction == classify::Direction::ClientToServer ? samples.dport : samples.sport;
  }
  [[nodiscard]] bool fromClient() const { return samples.direction == classify::Direction::ClientToServer; }
};

std::filesystem::path pcapDir() { return MINEWATCH_PCAP_DIR; }

std::vector<DirectionResult> classifyCapture(const std::string &file) {
  auto path = pcapDir() / file;
  BOOST_TEST_REQUIRE(std::filesystem::is_regular_file(path), "capture missing: " << path);
  std::vector<DirectionResult> out;
  for (auto &d : sampleCapture(path.string(), 4, 256)) {
    DirectionResult r{d, {}};
    for (const auto &s : d.samples) {
      auto f = classify::classifyPayload(s, d.context());
      BOOST_TEST_MESSAGE(file << " " << d.name() << " [" << s.size() << "B] " << classify::describe(f));
      r.facts.push_back(std::move(f));
    }
    out.push_back(std::move(r));
  }
  return out;
}

/// Flow name -> protocols of mining facts in either direction.
std::map<std::string, std::set<Protocol>> miningFlows(const std::vector<DirectionResult> &results) {
  std::map<std::string, std::set<Protocol>> out;
  for (const auto &r : results)
    if (r.mining())
      out[r.samples.flowName()].merge(r.miningProtocols());
  return out;
}

// Every mining fact names the side that sent it as the capture's TCP
// handshake does: clients are miners, servers pools.
void checkSenders(const std::vector<DirectionResult> &results) {
  for (const auto &r : results)
    for (const auto &f : r.facts)
      if (f.mining)
        BOOST_TEST(f.sender == (r.fromClient() ? classify::Role::Miner : classify::Role::Pool), r.samples.name());
}

const DirectionResult &direction(const std::vector<DirectionResult> &results, std::string_view name) {
  for (const auto &r : results)
    if (r.samples.name() == name)
      return r;
  BOOST_FAIL("no flow direction " << name);
  throw std::logic_error("unreachable");
}
} // namespace

BOOST_AUTO_TEST_SUITE(captures)

BOOST_AUTO_TEST_CASE(capture_directory_exists) {
  BOOST_TEST_REQUIRE(std::filesystem::is_directory(pcapDir()),
                     "the public captures are missing: " << pcapDir() << " (set MINEWATCH_PCAP_DIR)");
}

BOOST_AUTO_TEST_CASE(ndpi_mining_has_four_mining_flows) {
  auto results = classifyCapture("ndpi_mining.pcapng");
  checkSenders(results);
  auto flows = miningFlows(results);
  BOOST_TEST(flows.size() == 4u);
  using P = std::set<Protocol>;
  BOOST_TEST((flows["tcp 192.168.2.148:46838 94.23.199.191:3333"] == P{Protocol::StratumV1}));
  BOOST_TEST((flows["tcp 116.211.167.195:3333 192.168.2.148:53846"] == P{Protocol::StratumV1}));
  BOOST_TEST((flows["tcp 178.32.196.217:9050 192.168.2.92:55190"] == P{Protocol::MoneroStratum}));
  BOOST_TEST((flows["tcp 147.229.13.222:49307 185.71.66.39:9999"] == P{Protocol::EthProxy}));

  // Both sides give themselves away, so a sensor seeing one direction only
  // (asymmetric routing) still finds them.
  for (const auto &r : results)
    BOOST_TEST(r.mining(), r.samples.name());
  BOOST_TEST(direction(results, "tcp 192.168.2.148:46838 > 94.23.199.191:3333").agent() == "EWBF 0.3.4b");
  BOOST_TEST(direction(results, "tcp 192.168.2.92:55190 > 178.32.196.217:9050").agent() == "xmr-stak-cpu/1.3.0-1.5.0");
}

BOOST_AUTO_TEST_CASE(nicehash_eth_proxy) {
  auto results = classifyCapture("nicehash_dwarf_s.pcapng");
  checkSenders(results);
  auto flows = miningFlows(results);
  BOOST_TEST_REQUIRE(flows.size() == 1u);
  BOOST_TEST(flows.begin()->first == "tcp 192.168.1.128:3911 87.98.182.61:8008");
  BOOST_TEST((flows.begin()->second == std::set<Protocol>{Protocol::EthProxy}));
  const auto &client = direction(results, "tcp 192.168.1.128:3911 > 87.98.182.61:8008");
  BOOST_TEST((client.facts[0].methods == std::vector<std::string>{"eth_submitLogin"}));
  BOOST_TEST(direction(results, "tcp 87.98.182.61:8008 > 192.168.1.128:3911").mining()); // getWork results
}

BOOST_AUTO_TEST_CASE(bitcoin_stratum_getwork_and_tls_attempts) {
  auto results = classifyCapture("bitcoin-mining.pcap");
  checkSenders(results);
  std::size_t stratum = 0, getwork = 0, tls = 0;
  for (const auto &r : results) {
    if (!r.fromClient() || r.facts.empty())
      continue;
    const auto &first = r.facts.front();
    BOOST_TEST_CONTEXT(r.samples.name() << ": " << classify::describe(first)) {
      if (first.protocol == Protocol::TlsClientHello) {
        // bfgminer tried TLS on the Stratum port: the hello names the pool
        // but does not fit in 256 bytes, so no JA3; TLS alone is no mining.
        ++tls;
        BOOST_TEST_REQUIRE(first.tls.has_value());
        BOOST_TEST(first.tls->sni == "us1.bitminter.com");
        BOOST_TEST(first.tls->truncated);
        BOOST_TEST(!r.mining());
      } else if (first.carrier == classify::Carrier::Http) {
        ++getwork;
        BOOST_TEST(first.protocol == Protocol::GetworkHttp);
        BOOST_TEST(first.mining); // X-Mining-Extensions, before the body arrives
        BOOST_TEST((r.miningProtocols() == std::set<Protocol>{Protocol::GetworkHttp}));
      } else {
        ++stratum;
        BOOST_TEST(first.protocol == Protocol::StratumV1);
        BOOST_TEST(first.mining);
        BOOST_TEST(first.agent == "bfgminer/5.2.0");
      }
    }
  }
  BOOST_TEST(stratum == 3u);
  BOOST_TEST(getwork == 5u);
  BOOST_TEST(tls == 5u);
  BOOST_TEST(miningFlows(results).size() == 8u);
}

BOOST_AUTO_TEST_CASE(coinhive_stratum_proxy) {
  // The browser's WebSocket leg is TLS (coinhive.com:443, :8081): only the
  // hello is readable. The proxy's leg to the pool is plain Monero stratum.
  auto results = classifyCapture("coinhive-stratum.pcap");
  checkSenders(results);
  auto flows = miningFlows(results);
  BOOST_TEST(flows.size() == 3u);
  for (const auto &[name, protocols] : flows) {
    BOOST_TEST(name.find("192.110.160.114:3333") != std::string::npos, name);
    BOOST_TEST((protocols == std::set<Protocol>{Protocol::MoneroStratum}));
  }
  const auto &hello = direction(results, "tcp 10.0.2.15:48118 > 104.20.208.59:443").facts.at(0);
  BOOST_TEST_REQUIRE(hello.tls.has_value());
  BOOST_TEST(hello.tls->sni == "coinhive.com");
  BOOST_TEST(!hello.tls->truncated);
  BOOST_TEST((hello.tls->alpn == std::vector<std::string>{"h2", "http/1.1"}));
  BOOST_TEST(hello.tls->ja3_md5 == "94c485bca29d5392be53f2b8cf7f4304");

  std::map<std::string, std::set<std::string>> resolved;
  for (const auto &r : results)
    for (const auto &f : r.facts)
      if (f.dns && f.dns->response)
        for (const auto &a : f.dns->addresses)
          resolved[f.dns->query].insert(a.address.toString());
  BOOST_TEST((resolved["coinhive.com"] == std::set<std::string>{"104.20.208.59", "104.20.209.59"}));
  BOOST_TEST((resolved["la01.supportxmr.com"] == std::set<std::string>{"192.110.160.114"}));
}

BOOST_AUTO_TEST_CASE(benign_json_rpc_yields_no_mining_fact) {
  auto results = classifyCapture("benign_jsonrpc.pcap");
  bool saw_json_rpc = false;
  for (const auto &r : results)
    for (const auto &f : r.facts) {
      BOOST_TEST(!f.mining, r.samples.name() << ": " << classify::describe(f));
      saw_json_rpc = saw_json_rpc || f.protocol == Protocol::JsonRpc;
    }
  BOOST_TEST(saw_json_rpc); // it was read, and judged not mining
}

BOOST_AUTO_TEST_SUITE_END()
