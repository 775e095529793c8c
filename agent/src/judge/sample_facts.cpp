// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Payload samples -> facts on the flow they came from: protocol signatures,
// the TLS server name, DNS answers for naming encrypted flows later.
#include "judge/judge.hpp"

#include "classify/classify.hpp"
#include "classify/tls_hello.hpp"

#include <fmt/format.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace minewatch::judge {

namespace {
std::string summaryOf(const classify::PayloadFacts &facts) {
  if (facts.tls)
    return classify::describeHello(*facts.tls); // detail would repeat its first words
  std::string out;
  for (const auto &m : facts.methods)
    out += (out.empty() ? "" : ", ") + m;
  if (!facts.agent.empty())
    out += (out.empty() ? "agent " : ", agent ") + facts.agent;
  if (!facts.detail.empty())
    out += (out.empty() ? "" : " (") + facts.detail + (out.empty() ? "" : ")");
  return out.empty() ? std::string(classify::protocolName(facts.protocol)) : out;
}

TlsHelloFact noteOf(const classify::TlsHello &hello) {
  return {hello.sni, hello.alpn, hello.ja3_md5, hello.ja4, !hello.truncated, hello.bytes_seen, hello.bytes_total};
}

/// Kinds that come in the long record (minewatch_hello_sample).
bool isLongKind(std::uint8_t kind) {
  return kind == MINEWATCH_SAMPLE_TLS_HELLO || kind == MINEWATCH_SAMPLE_TLS_HELLO_CONT ||
         kind == MINEWATCH_SAMPLE_JSON_LONG;
}
} // namespace

void Judge::onRecord(std::span<const std::byte> record) {
  if (record.size() == sizeof(minewatch_hello_sample)) {
    minewatch_hello_sample hello;
    std::memcpy(&hello, record.data(), sizeof hello);
    onHelloSample(hello);
    return;
  }
  if (record.size() != sizeof(minewatch_sample)) {
    ++counters_.samples;
    ++counters_.samples_malformed;
    return;
  }
  minewatch_sample sample;
  std::memcpy(&sample, record.data(), sizeof sample);
  onSample(sample);
}

std::string Judge::joinedText(const minewatch_sample &sample, std::span<const std::uint8_t> bytes) {
  std::string_view data(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  bool stream = sample.kind == MINEWATCH_SAMPLE_FLOW_START || sample.kind == MINEWATCH_SAMPLE_JSON_LONG;
  if (!stream || sample.key.proto != IPPROTO_TCP)
    return std::string(data); // a datagram is a message of its own
  // A JSON message that runs past a packet's end reads on in the next
  // sample of its direction: a pool's params-first notify names its method
  // only there. The carry lives with what is known of the flow, made only when needed.
  bool whole = sample.captured_len >= sample.payload_len;
  unsigned dir = sample.direction & 1u;
  FlowRecord *record = table_.find(sample.key);
  if (record && record->facts)
    return record->facts->json_carry[dir].join(data, whole);
  classify::JsonCarry carry;
  auto text = carry.join(data, whole);
  if (!carry.empty())
    table_.touch(sample.key).ensureFacts().json_carry[dir] = std::move(carry);
  return text;
}

void Judge::onSample(const minewatch_sample &sample) {
  if (sample.captured_len > MINEWATCH_SAMPLE_MAX || isLongKind(sample.kind)) {
    ++counters_.samples;
    ++counters_.samples_malformed;
    return;
  }
  onPayload(sample, std::span<const std::uint8_t>(sample.data, sample.captured_len));
}

void Judge::onHelloSample(const minewatch_hello_sample &sample) {
  if (sample.captured_len > MINEWATCH_HELLO_MAX || !isLongKind(sample.kind)) {
    ++counters_.samples;
    ++counters_.samples_malformed;
    return;
  }
  // The headers match field for field (tests/unit/abi_layout_test.cpp).
  minewatch_sample header{};
  std::memcpy(&header, &sample, offsetof(minewatch_sample, data));
  onPayload(header, std::span<const std::uint8_t>(sample.data, sample.captured_len));
}

void Judge::onPayload(const minewatch_sample &sample, std::span<const std::uint8_t> data) {
  ++counters_.samples;
  if (data.empty() || (sample.key.proto != IPPROTO_TCP && sample.key.proto != IPPROTO_UDP)) {
    ++counters_.samples_malformed;
    return;
  }
  // The second part of a ClientHello is read after the first: the data
  // path sends it only when the first ended inside the hello's record.
  std::vector<std::uint8_t> joined;
  bool continues_hello = false;
  if (sample.kind == MINEWATCH_SAMPLE_TLS_HELLO_CONT) {
    auto *known = table_.find(sample.key);
    if (!known || !known->facts || known->facts->hello_head.empty())
      return; // its first part was lost: the rest alone says nothing
    joined = std::move(known->facts->hello_head);
    known->facts->hello_head.clear();
    joined.insert(joined.end(), data.begin(), data.end());
    data = joined;
    continues_hello = true;
  }
  // The flow's roles say who sent this: the client (miner) or the server
  // (pool). The sample carries the flow's initiator as the data path knew it.
  auto roles = rolesOf(sample.key, sample.initiator, sample.flow_flags);
  bool from_client = (sample.direction & 1u) == roles.client_dir;
  const auto &src = from_client ? roles.client : roles.server;
  const auto &dst = from_client ? roles.server : roles.client;

  classify::PayloadContext context;
  context.transport = sample.key.proto == IPPROTO_TCP ? classify::Transport::Tcp : classify::Transport::Udp;
  context.src_port = src.port;
  context.dst_port = dst.port;
  context.direction = from_client ? classify::Direction::ClientToServer : classify::Direction::ServerToClient;
  context.dns_sample = sample.kind == MINEWATCH_SAMPLE_DNS;
  auto text = joinedText(sample, data);
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
  auto &known = record.ensureFacts();
  if (facts.tls) {
    if (!facts.tls->sni.empty())
      known.server_name = facts.tls->sni;
    if (!facts.tls->ja3_md5.empty())
      known.tls_fingerprint = facts.tls->ja3_md5;
    known.tls_hello = noteOf(*facts.tls);
    bool whole_packet = sample.payload_len == data.size();
    if (sample.kind == MINEWATCH_SAMPLE_TLS_HELLO && facts.tls->truncated && whole_packet)
      known.hello_head.assign(data.begin(), data.end());
  }
  // A mining message says who sent it (a job comes from the pool) better
  // than the flow's roles can when its opening was not seen.
  Side side = from_client ? Side::Client : Side::Server;
  if (facts.sender != classify::Role::Unknown)
    side = facts.sender == classify::Role::Miner ? Side::Client : Side::Server;
  auto same_protocol = [&](const PayloadFact &f) { return f.protocol == facts.protocol; };
  auto hello_fact = std::find_if(known.payload.begin(), known.payload.end(), same_protocol);
  PayloadFact fact{facts.protocol, facts.mining, side, summaryOf(facts), sample.ts_ns};
  if (continues_hello && hello_fact != known.payload.end())
    *hello_fact = std::move(fact); // the whole hello replaces its first part
  else if (known.payload.size() < FlowFacts::kMaxFacts)
    known.payload.push_back(std::move(fact));
  factsChanged(sample.key, record);
}

} // namespace minewatch::judge
