// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Payload samples -> facts on the flow they came from: protocol signatures,
// the TLS server name, DNS answers for naming encrypted flows later.
#include "app/agent.hpp"

#include "classify/classify.hpp"

#include <fmt/format.h>
#include <netinet/in.h>

#include <cstring>

namespace minewatch::app {

namespace {
std::string summaryOf(const classify::PayloadFacts &facts) {
  std::string out;
  for (const auto &m : facts.methods)
    out += (out.empty() ? "" : ", ") + m;
  if (!facts.agent.empty())
    out += (out.empty() ? "agent " : ", agent ") + facts.agent;
  if (!facts.detail.empty())
    out += (out.empty() ? "" : " (") + facts.detail + (out.empty() ? "" : ")");
  if (facts.tls) {
    out += facts.tls->sni.empty() ? (facts.tls->truncated ? "ClientHello (cut short)" : "ClientHello without SNI")
                                  : "ClientHello for " + facts.tls->sni;
  }
  return out.empty() ? std::string(classify::protocolName(facts.protocol)) : out;
}
} // namespace

void Agent::onRecord(std::span<const std::byte> record) {
  if (record.size() != sizeof(minewatch_sample)) {
    ++counters_.samples;
    ++counters_.samples_malformed;
    return;
  }
  minewatch_sample sample;
  std::memcpy(&sample, record.data(), sizeof sample);
  onSample(sample);
}

std::string Agent::joinedText(const minewatch_sample &sample) {
  std::string_view data(reinterpret_cast<const char *>(sample.data), sample.captured_len);
  if (sample.kind != MINEWATCH_SAMPLE_FLOW_START || sample.key.proto != IPPROTO_TCP)
    return std::string(data); // a datagram is a message of its own
  // A JSON message that runs past a packet's end reads on in the next
  // sample of its direction: a pool's params-first notify names its method
  // only there. The carry lives in the flow's notes, made only when needed.
  bool whole = sample.captured_len >= sample.payload_len;
  unsigned dir = sample.direction & 1u;
  FlowRecord *record = table_.find(sample.key);
  if (record && record->notes)
    return record->notes->json_carry[dir].join(data, whole);
  classify::JsonCarry carry;
  auto text = carry.join(data, whole);
  if (!carry.empty())
    table_.touch(sample.key).ensureNotes().json_carry[dir] = std::move(carry);
  return text;
}

void Agent::onSample(const minewatch_sample &sample) {
  ++counters_.samples;
  if (sample.captured_len == 0 || sample.captured_len > MINEWATCH_SAMPLE_MAX ||
      (sample.key.proto != IPPROTO_TCP && sample.key.proto != IPPROTO_UDP)) {
    ++counters_.samples_malformed;
    return;
  }
  // The flow's roles say who sent this: the client (miner) or the server (pool).
  auto value = sensor_.flows().lookup(sample.key);
  minewatch_flow_value guess{};
  guess.initiator = sample.direction; // unknown flow: assume its first sample came from the client
  auto roles = rolesOf(sample.key, value ? *value : guess);
  bool from_client = (sample.direction & 1u) == roles.client_dir;
  const auto &src = from_client ? roles.client : roles.server;
  const auto &dst = from_client ? roles.server : roles.client;

  classify::PayloadContext context;
  context.transport = sample.key.proto == IPPROTO_TCP ? classify::Transport::Tcp : classify::Transport::Udp;
  context.src_port = src.port;
  context.dst_port = dst.port;
  context.direction = from_client ? classify::Direction::ClientToServer : classify::Direction::ServerToClient;
  context.dns_sample = sample.kind == MINEWATCH_SAMPLE_DNS;
  auto text = joinedText(sample);
  auto facts = classify::classifyPayload(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t *>(text.data()), text.size()), context);
  if (facts.protocol == classify::Protocol::Unknown)
    return;
  ++counters_.facts;

  if (facts.dns) {
    for (const auto &answer : facts.dns->addresses)
      dns_.learn(answer.address, facts.dns->query, answer.ttl_s, sample.ts_ns);
    return; // the lookup itself is not what we judge
  }

  auto &record = table_.touch(sample.key);
  auto &notes = record.ensureNotes();
  if (facts.tls) {
    if (!facts.tls->sni.empty())
      notes.server_name = facts.tls->sni;
    notes.tls_without_sni = notes.tls_without_sni || facts.tls->definitelyNoSni();
    if (!facts.tls->ja3_md5.empty())
      notes.tls_fingerprint = facts.tls->ja3_md5;
  }
  // A mining message says who sent it (a job comes from the pool) better
  // than the flow's roles can when its opening was not seen.
  std::string side = from_client ? "client" : "server";
  if (facts.sender != classify::Role::Unknown)
    side = facts.sender == classify::Role::Miner ? "client" : "server";
  if (notes.facts.size() < FlowNotes::kMaxFacts)
    notes.facts.push_back(FactNote{std::string(classify::protocolName(facts.protocol)), facts.mining, side,
                                   summaryOf(facts), sample.ts_ns});
  record.notes_changed = true;
}

} // namespace minewatch::app
