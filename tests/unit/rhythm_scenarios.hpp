// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

// The conversations the rhythm detector is tested on: encrypted Stratum as
// XMRig and pools speak it, and the benign long-lived streams that share
// part of its shape. Sizes are plaintext plus TLS per record (kTls13/kTls12).

#include "rhythm_fixtures.hpp"

namespace minewatch::test {

constexpr std::uint64_t kMinute = 60'000;

struct MinerProfile {
  std::uint64_t seed;
  std::uint32_t rtt_ms;
  std::uint32_t share_mean_ms; // set by hashrate and the pool's difficulty
  std::uint32_t tls;           // bytes of TLS per record
  std::uint64_t length_ms = 15 * kMinute;
  std::size_t kept = 64;       // messages the data path keeps (placeholder N)
  std::uint32_t jitter_ms = 0; // extra delay of each result (queues, Wi-Fi)
};

/// XMRig with --tls: login answered by a result carrying the first job;
/// jobs every 30-120 s, never answered; submits every 5-60 s, each answered
/// by a small result after one RTT plus the pool's check of the share.
inline MessageSequence xmrigTls(const MinerProfile &p) {
  Conversation c;
  Rng r(p.seed);
  auto t = c.tlsHandshake(0, p.rtt_ms);
  c.up(t, r.between(280, 380) + p.tls, kAppData);                                 // login
  c.down(t + p.rtt_ms + r.between(2, 15), r.between(600, 750) + p.tls, kAppData); // result + job
  for (auto job = t + r.between(30'000, 120'000); job < p.length_ms; job += r.between(30'000, 120'000))
    c.down(job, r.between(300, 600) + p.tls, kAppData);
  for (auto share = t + r.poisson(p.share_mean_ms, 5'000, 60'000); share < p.length_ms;
       share += r.poisson(p.share_mean_ms, 5'000, 60'000)) {
    c.up(share, r.between(170, 230) + p.tls, kAppData);
    c.down(share + p.rtt_ms + r.between(1, 15) + r.between(0, p.jitter_ms), r.between(60, 100) + p.tls, kAppData);
  }
  return c.messages(p.kept);
}

/// Server-sent events with an application ack per event, and a client ping
/// every minute answered by a pong.
inline MessageSequence eventStreamAcked(std::uint64_t seed) {
  Conversation c;
  Rng r(seed);
  std::uint32_t rtt = 30;
  auto t = c.tlsHandshake(0, rtt);
  for (auto ev = t + 2'000; ev < 15 * kMinute; ev += r.between(5'000, 60'000)) {
    c.down(ev, r.between(300, 700) + kTls13, kAppData);
    c.up(ev + r.between(1, 3), r.between(100, 200) + kTls13, kAppData); // ack at once
  }
  for (auto ping = t + kMinute; ping < 15 * kMinute; ping += kMinute) {
    c.up(ping, 150 + kTls13, kAppData);
    c.down(ping + rtt + r.between(1, 5), 100 + kTls13, kAppData);
  }
  return c.messages();
}

/// A WebSocket feed: pushes of any size every 1-20 s, the client pings
/// every 30 s (masked frame, 4-byte payload), the server pings every 45 s.
inline MessageSequence websocketFeed(std::uint64_t seed) {
  Conversation c;
  Rng r(seed);
  std::uint32_t rtt = 25;
  auto t = c.tlsHandshake(0, rtt);
  c.up(t, 420 + kTls13, kAppData); // HTTP Upgrade
  c.down(t + rtt + 3, 180 + kTls13, kAppData);
  for (auto push = t + 1'000; push < 15 * kMinute; push += r.between(1'000, 20'000))
    c.down(push, r.between(80, 2'000) + kTls13, kAppData);
  for (auto ping = t + 30'000; ping < 15 * kMinute; ping += 30'000) {
    c.up(ping, 10 + kTls13, kAppData);
    c.down(ping + rtt + 1, 6 + kTls13, kAppData);
  }
  for (auto ping = t + 45'000; ping < 15 * kMinute; ping += 45'000) {
    c.down(ping + 500, 6 + kTls13, kAppData);
    c.up(ping + 501, 10 + kTls13, kAppData);
  }
  return c.messages();
}

/// A chat client on a WebSocket (Discord/Slack-like): messages pushed at
/// human times, a heartbeat every 41.25 s answered by a tiny ack, and the
/// user's own messages answered by an ack with the stored message's id.
/// Closest of the look-alikes: pushes, requests and replies all fit
/// Stratum's bands; only the heartbeats break the size fit.
inline MessageSequence chatWebsocket(std::uint64_t seed) {
  Conversation c;
  Rng r(seed);
  std::uint32_t rtt = 30;
  auto t = c.tlsHandshake(0, rtt);
  c.up(t, 450 + kTls13, kAppData); // HTTP Upgrade
  c.down(t + rtt + 3, 200 + kTls13, kAppData);
  for (auto push = t + 4'000; push < 15 * kMinute; push += r.between(4'000, 120'000))
    c.down(push, r.between(300, 700) + 2 + kTls13, kAppData);
  for (auto beat = t + 41'250; beat < 15 * kMinute; beat += 41'250) {
    c.up(beat, 20 + 6 + kTls13, kAppData);
    c.down(beat + rtt + 1, 9 + 2 + kTls13, kAppData);
  }
  for (auto say = t + 20'000; say < 15 * kMinute; say += r.between(20'000, 180'000)) {
    c.up(say + 700, r.between(100, 300) + 6 + kTls13, kAppData);
    c.down(say + 700 + rtt + r.between(5, 30), r.between(80, 120) + 2 + kTls13, kAppData);
  }
  return c.messages();
}

/// A gRPC bidirectional stream: the client streams telemetry every ~10 s,
/// each acknowledged by a short response message; the server pushes config
/// now and then; HTTP/2 PINGs every minute. (grpc-go's BDP pings would make
/// the client answer pushes; this leaves them unanswered, the harder case.)
inline MessageSequence grpcBidi(std::uint64_t seed) {
  Conversation c;
  Rng r(seed);
  std::uint32_t rtt = 15;
  auto t = c.tlsHandshake(0, rtt);
  c.up(t, 300 + kTls13, kAppData); // preface, SETTINGS, HEADERS
  c.down(t + rtt + 2, 120 + kTls13, kAppData);
  for (auto msg = t + 10'000; msg < 15 * kMinute; msg += r.between(9'000, 11'000)) {
    c.up(msg, r.between(400, 1'500) + kTls13, kAppData);
    c.down(msg + rtt + r.between(1, 4), r.between(30, 45) + kTls13, kAppData);
  }
  for (auto push = t + 20'000; push < 15 * kMinute; push += r.between(20'000, 120'000))
    c.down(push + 3'000, r.between(200, 800) + kTls13, kAppData);
  for (auto ping = t + kMinute + 5'000; ping < 15 * kMinute; ping += kMinute) {
    c.up(ping, 17 + kTls13, kAppData);
    c.down(ping + rtt + 1, 17 + kTls13, kAppData);
  }
  return c.messages();
}

/// Interactive SSH: typing bursts echoed a key at a time (36-byte packets),
/// Enter answered by output, and `tail -f` output while the user reads.
inline MessageSequence sshSession(std::uint64_t seed) {
  Conversation c;
  Rng r(seed);
  std::uint32_t rtt = 20;
  c.up(0, 41); // version strings, then key exchange
  c.down(rtt, 41);
  c.up(rtt + 1, 1'500);
  c.down(2 * rtt + 2, 1'100);
  c.up(2 * rtt + 5, 48);
  c.down(3 * rtt + 6, 500);
  std::uint64_t t = 3 * rtt + 1'500;
  while (t < 15 * kMinute) {
    auto keys = r.between(5, 30);
    for (std::uint32_t k = 0; k < keys; ++k, t += r.between(100, 300)) {
      c.up(t, 36);
      c.down(t + rtt + 1, 36);
    }
    c.up(t, 36); // Enter
    c.down(t + rtt + 2, r.between(100, 3'000));
    for (auto idle = t + r.between(10'000, 60'000), until = t + r.between(60'000, 180'000); idle < until;
         idle += r.between(10'000, 60'000))
      c.down(idle, r.between(100, 600)); // tail -f
    t += r.between(60'000, 180'000);
  }
  return c.messages();
}

/// MQTT over TLS: PINGREQ every 60 s (2 bytes) answered by PINGRESP (2);
/// QoS 0 publishes from the broker now and then; a QoS 1 publish from the
/// client, answered by PUBACK (4), every few minutes.
inline MessageSequence mqttKeepalive(std::uint64_t seed) {
  Conversation c;
  Rng r(seed);
  std::uint32_t rtt = 40;
  auto t = c.tlsHandshake(0, rtt);
  c.up(t, 60 + kTls13, kAppData); // CONNECT
  c.down(t + rtt + 2, 4 + kTls13, kAppData);
  c.up(t + rtt + 5, 40 + kTls13, kAppData); // SUBSCRIBE
  c.down(t + 2 * rtt + 7, 5 + kTls13, kAppData);
  for (auto ping = t + kMinute; ping < 15 * kMinute; ping += kMinute) {
    c.up(ping, 2 + kTls13, kAppData);
    c.down(ping + rtt + 1, 2 + kTls13, kAppData);
  }
  for (auto pub = t + 10'000; pub < 15 * kMinute; pub += r.between(10'000, 300'000))
    c.down(pub, r.between(100, 400) + kTls13, kAppData);
  for (auto pub = t + 90'000; pub < 15 * kMinute; pub += r.between(120'000, 300'000)) {
    c.up(pub, r.between(120, 200) + kTls13, kAppData);
    c.down(pub + rtt + 1, 4 + kTls13, kAppData);
  }
  return c.messages();
}

/// HTTPS long-poll: each request is answered 20-60 s later, and the client
/// asks again at once.
inline MessageSequence httpsLongPoll(std::uint64_t seed) {
  Conversation c;
  Rng r(seed);
  std::uint32_t rtt = 35;
  auto t = c.tlsHandshake(0, rtt);
  while (t < 15 * kMinute) {
    c.up(t, r.between(400, 600) + kTls13, kAppData);
    t += r.between(20'000, 60'000);
    c.down(t, r.between(300, 1'500) + kTls13, kAppData);
    t += r.between(1, 5);
  }
  return c.messages();
}

} // namespace minewatch::test
