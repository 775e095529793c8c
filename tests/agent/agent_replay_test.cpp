// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The agent on the public captures, through the real BPF programs (replay):
// every mining flow found with its reasons, the hard negative left alone,
// and the actions each autoblock mode takes. Needs root (loads BPF).
#define BOOST_TEST_MODULE minewatch_agent_replay
#include <boost/test/unit_test.hpp>

#include "api/queries.hpp"
#include "app/agent.hpp"
#include "app/replay_runner.hpp"
#include "datapath/libbpf_log.hpp"
#include "replay/pcap_reader.hpp"
#include "packet_builder.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

using namespace minewatch;
using nlohmann::json;

namespace {
const std::string kPcaps = MINEWATCH_PCAP_DIR;
const std::string kLabRecordings = MINEWATCH_LAB_RECORDINGS;

/// The agent after a whole capture, with its event log.
struct Replayed {
  std::string events_path = "/tmp/minewatch-replay-test-" + std::to_string(::getpid()) + ".jsonl";
  datapath::SensorObject sensor{datapath::SensorOptions{}};
  std::unique_ptr<actions::EventLog> events;
  std::unique_ptr<app::Agent> agent;

  Replayed(const std::string &capture, config::AgentConfig config, bool tap = false,
           const app::ReplayHookOf &hook_of = {}) {
    datapath::installLibbpfLogger(false);
    ::unlink(events_path.c_str());
    sensor.load();
    events = std::make_unique<actions::EventLog>(events_path);
    agent = std::make_unique<app::Agent>(config, sensor,
                                         datapath::DatapathInfo{.interface = "replay",
                                                                .xdp_mode = datapath::XdpAttach::Replay,
                                                                .packets = datapath::PacketSource::Capture,
                                                                .tap = tap},
                                         util::TimeBase::identity(), *events);
    replay::PcapReader reader(capture.starts_with("/") ? capture
                                                       : kPcaps + "/" + capture); // a public one, or made here
    app::feedCapture(reader, sensor, *agent, config.tick_ms, hook_of);
  }
  ~Replayed() { ::unlink(events_path.c_str()); }

  /// The capture's last timestamp: "now" at the end of the replay.
  std::uint64_t lastTs() const { return sensor.skel()->bss->minewatch_globals.clock_override_ns; }

  /// "dst:dport" of every mining detection.
  std::set<std::string> miningServers() const {
    std::set<std::string> out;
    for (const auto &d : api::detections(agent->view()))
      if (d["verdict"] == "mining")
        out.insert(d["flow"]["dst"].get<std::string>() + ":" + std::to_string(d["flow"]["dport"].get<int>()));
    return out;
  }

  std::vector<json> eventLines() const {
    std::ifstream in(events_path);
    std::vector<json> out;
    for (std::string line; std::getline(in, line);)
      out.push_back(json::parse(line)); // every line must be JSON on its own
    return out;
  }
};
} // namespace

BOOST_AUTO_TEST_SUITE(public_captures)

// The same capture, the same answer: every run loads fresh maps, whose hash
// seeds (and so the order a sweep meets flows in) differ; detections,
// their order and their reasons must not. coinhive-stratum and
// bitcoin-mining differed between runs before judging was put in key order.
BOOST_AUTO_TEST_CASE(a_capture_replays_to_the_same_detections_every_run) {
  for (const char *capture : {"coinhive-stratum.pcap", "bitcoin-mining.pcap", "ndpi_mining.pcapng"}) {
    std::vector<std::string> runs;
    for (int i = 0; i < 4; ++i)
      runs.push_back(api::detections(Replayed(capture, {}).agent->view()).dump());
    BOOST_TEST_CONTEXT(capture) {
      BOOST_TEST(!json::parse(runs[0]).empty());
      for (const auto &run : runs)
        BOOST_TEST(run == runs[0]);
    }
  }
}

BOOST_AUTO_TEST_CASE(ndpi_mining_all_four_flows) {
  Replayed r("ndpi_mining.pcapng", {});
  BOOST_TEST((r.miningServers() == std::set<std::string>{"185.71.66.39:9999", "178.32.196.217:9050",
                                                         "94.23.199.191:3333", "116.211.167.195:3333"}));
}

BOOST_AUTO_TEST_CASE(nicehash_eth_proxy) {
  Replayed r("nicehash_dwarf_s.pcapng", {});
  BOOST_TEST((r.miningServers() == std::set<std::string>{"87.98.182.61:8008"}));
}

BOOST_AUTO_TEST_CASE(bitcoin_stratum_and_getwork) {
  Replayed r("bitcoin-mining.pcap", {});
  BOOST_TEST((r.miningServers() == std::set<std::string>{"113.21.199.11:3333", "74.84.128.158:3333"}));
  // every TCP flow of the capture goes to a pool, and each is judged mining
  for (const auto &d : api::detections(r.agent->view()))
    BOOST_TEST(d["verdict"] == "mining", d.dump());
}

BOOST_AUTO_TEST_CASE(coinhive_over_websocket) {
  Replayed r("coinhive-stratum.pcap", {});
  BOOST_TEST((r.miningServers() == std::set<std::string>{"192.110.160.114:3333"}));
}

BOOST_AUTO_TEST_CASE(benign_json_rpc_is_left_alone) {
  Replayed r("benign_jsonrpc.pcap", {});
  BOOST_TEST(api::detections(r.agent->view()).empty(), api::detections(r.agent->view()).dump());
  BOOST_TEST(r.agent->judge().counters().facts > 0u); // it was read, and judged not mining
}

// From a capture, a detection is dated by the packet whose evidence decided
// it: a miner's login is known when it was sent, not at the first packet
// after the next tick (before, a login at 0.04 s showed as 16.2 s).
// A capture is looked at, never answered: the confirmer is not even made
// in a replay (confirm.mode on by default), so no probe can leave this
// machine for the public addresses of a public capture.
BOOST_AUTO_TEST_CASE(a_replay_never_probes) {
  Replayed r("ndpi_mining.pcapng", {});
  BOOST_TEST(r.agent->view().config.confirm.on);
  BOOST_TEST(r.agent->view().confirmer == nullptr);
  BOOST_TEST(api::confirmations(r.agent->view()).is_null());
  for (const auto &e : r.eventLines())
    BOOST_TEST(e.value("event", "") != "confirm");
}

// A replay feeds every packet to the ingress program: the egress one is
// not loaded (its verifier pass was half of a replay's start-up).
BOOST_AUTO_TEST_CASE(a_sensor_without_its_egress_program) {
  datapath::SensorOptions options;
  options.egress_program = false;
  datapath::SensorObject sensor{options};
  sensor.load();
  BOOST_TEST(bpf_program__fd(sensor.skel()->progs.minewatch_xdp) >= 0);
  BOOST_TEST(bpf_program__fd(sensor.skel()->progs.minewatch_tc_egress) < 0);
}

BOOST_AUTO_TEST_CASE(a_replayed_detection_is_dated_by_the_packet_that_decided_it) {
  for (const char *capture : {"coinhive-stratum.pcap", "ndpi_mining.pcapng"}) {
    BOOST_TEST_CONTEXT(capture) {
      // Times of the packets that carry a miner's or a pool's message.
      std::set<std::uint64_t> mining_packets;
      replay::PcapReader reader(kPcaps + "/" + capture);
      for (replay::Frame f; reader.next(f);) {
        std::string text(f.bytes.begin(), f.bytes.end());
        for (const char *word : {"\"login\"", "\"job\"", "\"submit\"", "mining.", "\"result\"", "eth_"})
          if (text.find(word) != std::string::npos)
            mining_packets.insert(f.ts_ns);
      }
      Replayed r(capture, {});
      std::size_t signed_detections = 0;
      for (const auto &d : r.agent->judge().detections().all()) {
        bool signature = std::any_of(d.assessment.evidence.begin(), d.assessment.evidence.end(),
                                     [](const auto &e) { return e.detector == detect::Detector::Signature; });
        if (d.assessment.verdict != detect::Verdict::Mining || !signature)
          continue;
        ++signed_detections;
        BOOST_TEST(mining_packets.count(d.detected_at_ns) == 1u, d.id << " dated " << d.detected_at_ns);
      }
      BOOST_TEST(signed_detections > 0u);
    }
  }
}

namespace {
/// A frame's IP source address as bytes (IPv4 or IPv6 over Ethernet, one
/// VLAN tag at most), and whether it is a bare SYN; nullopt when not IP.
struct FrameSource {
  std::string address;
  bool bare_syn = false;
};
std::optional<FrameSource> sourceOf(const replay::Frame &frame) {
  const auto &b = frame.bytes;
  std::size_t at = 12;
  if (b.size() < at + 2)
    return std::nullopt;
  unsigned type = b[at] << 8 | b[at + 1];
  if (type == 0x8100 && b.size() >= at + 6) {
    at += 4;
    type = b[at] << 8 | b[at + 1];
  }
  at += 2;
  std::size_t address_at = 0, address_len = 0, l4 = 0;
  unsigned proto = 0;
  if (type == 0x0800 && b.size() >= at + 20) {
    address_at = at + 12, address_len = 4, proto = b[at + 9], l4 = at + (b[at] & 0x0fu) * 4u;
  } else if (type == 0x86dd && b.size() >= at + 40) {
    address_at = at + 8, address_len = 16, proto = b[at + 6], l4 = at + 40;
  } else {
    return std::nullopt;
  }
  FrameSource out{std::string(b.begin() + static_cast<std::ptrdiff_t>(address_at),
                              b.begin() + static_cast<std::ptrdiff_t>(address_at + address_len))};
  out.bare_syn = proto == 6 && b.size() > l4 + 13 && (b[l4 + 13] & 0x12) == 0x02;
  return out;
}

/// The addresses that open TCP connections in a capture: the hosts a live
/// sensor would sit on, whose packets leave through its egress hook.
std::set<std::string> openers(const std::string &capture) {
  replay::PcapReader reader(capture);
  replay::Frame frame;
  std::set<std::string> out;
  while (reader.next(frame))
    if (auto source = sourceOf(frame); source && source->bare_syn)
      out.insert(source->address);
  return out;
}
} // namespace

// The replay sends every packet through the ingress program, where a live
// sensor sends the host's own packets through the egress one. The same
// captures both ways (the host: whoever opens the connections) give the same
// detections, field for field.
BOOST_AUTO_TEST_CASE(a_replay_judges_as_the_kernel_path_does) {
  std::vector<std::string> captures;
  for (const char *name : {"coinhive-stratum.pcap", "bitcoin-mining.pcap", "ndpi_mining.pcapng"})
    captures.push_back(kPcaps + "/" + name);
  for (const char *name : {"lab-20261130T082724Z.pcap", "lab-20261130T082910Z.pcap"})
    captures.push_back(kLabRecordings + "/heldout/" + name);
  for (const auto &capture : captures) {
    BOOST_TEST_CONTEXT(capture) {
      auto hosts = openers(capture);
      std::uint64_t out_of_host = 0;
      app::ReplayHookOf hook_of = [&](const replay::Frame &frame) {
        auto source = sourceOf(frame);
        bool out = source && hosts.contains(source->address);
        out_of_host += out ? 1 : 0;
        return out ? app::ReplayHook::Egress : app::ReplayHook::Ingress;
      };
      auto replayed = api::detections(Replayed(capture, {}, true).agent->view());
      auto kernel_path = api::detections(Replayed(capture, {}, true, hook_of).agent->view());
      BOOST_TEST(!hosts.empty());
      BOOST_TEST(out_of_host > 0u); // the two did differ
      BOOST_TEST(!replayed.empty());
      BOOST_TEST(replayed.dump() == kernel_path.dump());
    }
  }
}

// A replay without its egress program refuses a request for it, not a crash.
BOOST_AUTO_TEST_CASE(a_replay_through_a_missing_egress_program_is_refused) {
  datapath::SensorOptions options;
  options.egress_program = false;
  datapath::SensorObject sensor(options);
  sensor.load();
  actions::EventLog events("/dev/null");
  app::Agent agent({}, sensor, datapath::DatapathInfo{.interface = "replay", .xdp_mode = datapath::XdpAttach::Replay},
                   util::TimeBase::identity(), events);
  replay::PcapReader reader(kPcaps + "/benign_jsonrpc.pcap");
  BOOST_CHECK_THROW(
      app::feedCapture(reader, sensor, agent, 250, [](const replay::Frame &) { return app::ReplayHook::Egress; }),
      std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(actions)

BOOST_AUTO_TEST_CASE(autoblock_on_blocks_the_pool_endpoint_with_a_ttl) {
  config::AgentConfig c;
  c.autoblock = config::AutoBlockMode::On;
  c.block_ttl_s = 600;
  Replayed r("nicehash_dwarf_s.pcapng", c);
  auto d = api::detections(r.agent->view()).at(0);
  BOOST_TEST(d["action"] == "blocked");
  auto rules = api::blockList(r.agent->view(), r.lastTs());
  BOOST_REQUIRE(rules.size() == 1u);
  BOOST_TEST(rules[0]["target"] == "87.98.182.61:8008/tcp", rules.dump());
  // The block outlives nothing: it lapsed after its TTL (capture time) and
  // the pool's next packets, tainted by the first detection, renewed it.
  BOOST_TEST(rules[0]["source"] == "auto");
  BOOST_TEST(rules[0]["ttl_remaining_s"].get<std::uint64_t>() <= 600u);

  bool detection = false, block = false;
  for (const auto &e : r.eventLines()) {
    detection = detection || (e["event"] == "detection" && e["verdict"] == "mining" && e.contains("reasons"));
    block = block || (e["event"] == "block_added" && e["target"] == "87.98.182.61:8008/tcp");
  }
  BOOST_TEST(detection);
  BOOST_TEST(block);
}

BOOST_AUTO_TEST_CASE(dry_run_and_off_block_nothing) {
  config::AgentConfig c;
  c.autoblock = config::AutoBlockMode::DryRun;
  Replayed dry("nicehash_dwarf_s.pcapng", c);
  BOOST_TEST(api::detections(dry.agent->view()).at(0)["action"] == "would-block");
  BOOST_TEST(api::blockList(dry.agent->view(), 0).empty());

  c.autoblock = config::AutoBlockMode::Off;
  Replayed off("nicehash_dwarf_s.pcapng", c);
  BOOST_TEST(api::detections(off.agent->view()).at(0)["action"] == "alert");
  BOOST_TEST(api::blockList(off.agent->view(), 0).empty());
}

BOOST_AUTO_TEST_CASE(allowlist_wins_over_autoblock) {
  config::AgentConfig c;
  c.autoblock = config::AutoBlockMode::On;
  c.allowlist = {"87.98.182.0/24"};
  Replayed r("nicehash_dwarf_s.pcapng", c);
  auto d = api::detections(r.agent->view()).at(0);
  BOOST_TEST(d["verdict"] == "mining");     // still reported...
  BOOST_TEST(d["action"] == "allowlisted"); // ...but never blocked
  BOOST_TEST(api::blockList(r.agent->view(), r.lastTs()).empty());
}

BOOST_AUTO_TEST_CASE(tap_mode_only_alerts) {
  config::AgentConfig c;
  c.autoblock = config::AutoBlockMode::On;
  Replayed r("nicehash_dwarf_s.pcapng", c, /*tap=*/true);
  BOOST_TEST(api::detections(r.agent->view()).at(0)["action"] == "alert");
  BOOST_TEST(api::blockList(r.agent->view(), r.lastTs()).empty());
}

BOOST_AUTO_TEST_CASE(intel_feed_names_the_pool) {
  auto feed = "/tmp/minewatch-replay-feed-" + std::to_string(::getpid()) + ".txt";
  std::ofstream(feed) << "# test feed\n87.98.182.0/24\n";
  config::AgentConfig c;
  c.intel_feeds = {feed};
  Replayed r("nicehash_dwarf_s.pcapng", c);
  ::unlink(feed.c_str());
  auto explain = api::explain(r.agent->view(), api::detections(r.agent->view()).at(0)["id"].get<std::string>());
  bool intel = false;
  for (const auto &e : explain["evidence"])
    intel = intel ||
            (e["detector"] == "intel" && e["reason"].get<std::string>().find("87.98.182.0/24") != std::string::npos);
  BOOST_TEST(intel, explain["evidence"].dump());
}

BOOST_AUTO_TEST_SUITE_END()

// The fleet gauge's input (minewatch_suspect_server_clients): the agent's
// detections by server endpoint, capped, counted while tracked or within
// the window after detection.
BOOST_AUTO_TEST_SUITE(fleet_gauge)

namespace {
std::set<std::string> endpoints(const judge::SuspectServers &s) {
  std::set<std::string> out;
  for (const auto &e : s.top)
    out.insert(e.server.toString() + ":" + std::to_string(e.port) + "=" + std::to_string(e.clients));
  return out;
}
} // namespace

BOOST_AUTO_TEST_CASE(every_recent_mining_server_one_client_each_capped_to_top) {
  // The capture joins sessions of 2017 and 2018: the 2017 one (185.71.66.39,
  // long over) is past the window at the capture's end, the rest count.
  Replayed all("ndpi_mining.pcapng", {});
  auto s = api::suspectServers(all.agent->view(), all.lastTs());
  BOOST_TEST((endpoints(s) ==
              std::set<std::string>{"178.32.196.217:9050=1", "94.23.199.191:3333=1", "116.211.167.195:3333=1"}));
  BOOST_TEST(s.dropped == 0u);
  config::AgentConfig c;
  c.suspect_servers_top = 2;
  Replayed capped("ndpi_mining.pcapng", c);
  s = api::suspectServers(capped.agent->view(), capped.lastTs());
  BOOST_TEST(s.top.size() == 2u);
  BOOST_TEST(s.dropped == 1u);
  auto page = api::metricsText(capped.agent->view(), capped.lastTs());
  BOOST_TEST(page.find("minewatch_suspect_servers_dropped 1\n") != std::string::npos);
  BOOST_TEST(page.find("minewatch_suspect_server_clients{server=\"116.211.167.195\",port=\"3333\",proto=\"tcp\","
                       "sni=\"\"} 1\n") != std::string::npos,
             page);
}

BOOST_AUTO_TEST_CASE(counted_while_tracked_then_for_the_window) {
  constexpr std::uint64_t kSec = 1'000'000'000ull;
  config::AgentConfig c;
  c.idle_timeout_s = 60;
  c.suspect_servers_window_s = 86400;
  Replayed r("nicehash_dwarf_s.pcapng", c);
  auto end = r.lastTs();
  BOOST_REQUIRE(!r.agent->judge().detections().all().empty());
  auto detected = r.agent->judge().detections().all().front().detected_at_ns;
  auto window_end = detected + 86400 * kSec;
  const std::set<std::string> pool = {"87.98.182.61:8008=1"};
  BOOST_TEST(endpoints(api::suspectServers(r.agent->view(), end)) == pool);
  // Past the window, yet the flow is still tracked: it counts.
  BOOST_TEST(endpoints(api::suspectServers(r.agent->view(), window_end + kSec)) == pool);
  // Idle for longer than idle_timeout_s: the flow is gone; the detection
  // still counts within the window, not after it.
  r.agent->tick(end + 120 * kSec);
  BOOST_REQUIRE(r.agent->judge().table().size() == 0u);
  BOOST_TEST(endpoints(api::suspectServers(r.agent->view(), window_end - kSec)) == pool);
  BOOST_TEST(api::suspectServers(r.agent->view(), window_end + kSec).top.empty());
}

BOOST_AUTO_TEST_SUITE_END()

// Payloads longer than the short sample, through the data path and the
// agent: a ClientHello over two TCP segments, joined and read whole; a
// pool's notify whose method comes after 600 bytes of params (the old
// 256-byte sample cut both).
BOOST_AUTO_TEST_SUITE(long_samples)

namespace {
void put16(std::string &b, std::size_t v) {
  b.push_back(static_cast<char>(v >> 8));
  b.push_back(static_cast<char>(v & 0xff));
}

// A TLS 1.3 hello without SNI whose key share makes it ~1.8 KB.
std::string bigHelloWithoutSni() {
  std::string ext;
  put16(ext, 0x0033); // key_share, 1700 bytes of it
  put16(ext, 1700);
  ext.append(1700, '\x42');
  put16(ext, 0x002b); // supported_versions: TLS 1.3
  put16(ext, 3);
  ext += std::string{2, 3, 4};
  std::string body = {3, 3};
  body.append(32, '\x5a');
  body += std::string{0, 0, 4, 0x13, 0x01, 0x13, 0x02, 1, 0}; // no session id, 2 ciphers, null compression
  put16(body, ext.size());
  body += ext;
  std::string hs = {1, 0};
  put16(hs, body.size());
  std::string record = {0x16, 3, 1};
  put16(record, hs.size() + body.size());
  return record + hs + body;
}

// Classic pcap (libpcap's own format), Ethernet, one frame per millisecond.
void writePcap(const std::string &path, const std::vector<test::Bytes> &frames) {
  std::ofstream out(path, std::ios::binary);
  const std::uint32_t header[] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};
  out.write(reinterpret_cast<const char *>(header), sizeof header);
  for (std::uint32_t i = 0; i < frames.size(); ++i) {
    const std::uint32_t rec[] = {1'700'000'000, i * 1000, static_cast<std::uint32_t>(frames[i].size()),
                                 static_cast<std::uint32_t>(frames[i].size())};
    out.write(reinterpret_cast<const char *>(rec), sizeof rec);
    out.write(reinterpret_cast<const char *>(frames[i].data()), static_cast<std::streamsize>(frames[i].size()));
  }
}
} // namespace

BOOST_AUTO_TEST_CASE(a_hello_in_two_segments_is_read_whole) {
  using test::PacketBuilder;
  constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kPshAck = 0x18;
  const std::string hello = bigHelloWithoutSni();
  auto up = [](std::uint8_t flags) {
    return PacketBuilder().ipv4("192.0.2.10", "198.51.100.7").tcp(40000, 443, flags);
  };
  auto down = [](std::uint8_t flags) {
    return PacketBuilder().ipv4("198.51.100.7", "192.0.2.10").tcp(443, 40000, flags);
  };
  auto path = "/tmp/minewatch-hello-split-" + std::to_string(::getpid()) + ".pcap";
  writePcap(path, {up(kSyn).build(), down(kSyn | kAck).build(), up(kAck).build(),
                   up(kPshAck).payload(hello.substr(0, 1200)).build(), up(kPshAck).payload(hello.substr(1200)).build(),
                   down(kAck).build()});
  Replayed r(path, config::AgentConfig{});
  std::remove(path.c_str());

  auto flows = api::flows(r.agent->view(), 10, control::FlowSort::Bytes, r.lastTs());
  BOOST_REQUIRE(flows.size() == 1u);
  auto e = api::explain(r.agent->view(), flows[0]["id"].get<std::string>());
  BOOST_REQUIRE(e.contains("tls_hello"));
  BOOST_TEST(e["tls_hello"]["complete"].get<bool>());
  BOOST_TEST(e["tls_hello"]["bytes_seen"].get<std::size_t>() == hello.size());
  BOOST_TEST(e["tls_hello"]["ja4"].get<std::string>().rfind("t13i0202", 0) == 0u, e["tls_hello"].dump());
  BOOST_REQUIRE(e["facts"].size() == 1u); // the whole hello replaced its first part
  BOOST_TEST(e["facts"][0]["summary"].get<std::string>().find("whole (" + std::to_string(hello.size()) + " bytes)") !=
                 std::string::npos,
             e["facts"].dump());
  bool no_sni = false;
  for (const auto &ev : e["evidence"])
    no_sni = no_sni || ev["reason"].get<std::string>().find("without a server name") != std::string::npos;
  BOOST_TEST(no_sni, e["evidence"].dump());
}

BOOST_AUTO_TEST_CASE(a_notify_with_its_method_past_the_short_sample_is_read) {
  using test::PacketBuilder;
  constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kPshAck = 0x18;
  // params first, as some pools send it: "method" sits past byte 600
  const std::string notify = R"({"params":["4f1a",")" + std::string(600, 'a') +
                             R"(","01000000",true],"id":null,"method":"mining.notify"})" + "\n";
  BOOST_REQUIRE(notify.find("mining.notify") > MINEWATCH_SAMPLE_MAX);
  auto up = [](std::uint8_t flags) {
    return PacketBuilder().ipv4("192.0.2.10", "198.51.100.7").tcp(40000, 443, flags);
  };
  auto down = [](std::uint8_t flags) {
    return PacketBuilder().ipv4("198.51.100.7", "192.0.2.10").tcp(443, 40000, flags);
  };
  auto path = "/tmp/minewatch-long-notify-" + std::to_string(::getpid()) + ".pcap";
  writePcap(path, {up(kSyn).build(), down(kSyn | kAck).build(), up(kAck).build(), down(kPshAck).payload(notify).build(),
                   up(kAck).build()});
  Replayed r(path, config::AgentConfig{});
  std::remove(path.c_str());

  auto detections = api::detections(r.agent->view());
  BOOST_REQUIRE(detections.size() == 1u);
  BOOST_TEST(detections[0]["verdict"] == "mining");
  auto reasons = detections[0]["reasons"].dump();
  BOOST_TEST(reasons.find("from the server: mining.notify") != std::string::npos, reasons);
}

BOOST_AUTO_TEST_SUITE_END()
