// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <array>

namespace minewatch::detect {

/// Weight of rhythm evidence (Evidence::weight, the assessment's noisy-OR
/// units; Thresholds: 0.4 suspicious, 0.8 mining), indexed by the features
/// that hold on top of the pairing pattern, which every entry needs:
///   bit 0 intervals (unanswered pushes 4 s-10 min apart)
///   bit 1 sizes     (pushes, requests, replies in Stratum's bands)
///   bit 2 balance   (up/down bytes 0.4-2.5)
///
/// Set by hand, not fitted (no labelled encrypted sequences exist yet;
/// tools/message_sequences.py writes them for the fit):
///  - pairing alone is shared by every push channel with pings (WebSocket,
///    MQTT, event streams without acks): 0.10;
///  - intervals in the band add little: many push services tick at 5 s to
///    minutes;
///  - sizes are what the look-alikes lack (pings, pongs, acks and echoes are
///    under 60 B in TLS; Stratum's answers are 60-150 B), so they weigh most;
///  - a chat WebSocket without heartbeats has pairing, intervals and sizes
///    too, but downloads 3-4x what it uploads: only sizes with balance
///    reach 0.4, suspicious on their own (a slow miner, up/down < 0.4,
///    then needs a second detector);
///  - nothing reaches 0.8: a mining verdict needs a second detector (pool
///    port, no SNI, correlation, behaviour). With behaviour's 0.35 the full
///    0.6 gives 0.74.
/// Refit these on the lab's train set and check on its held-out set.
inline constexpr std::array<double, 8> kRhythmWeights = {
    0.10, // pairing only
    0.15, // + intervals
    0.30, // + sizes
    0.35, // + intervals + sizes
    0.12, // + balance
    0.20, // + intervals + balance
    0.40, // + sizes + balance
    0.60, // + intervals + sizes + balance
};

/// The least weight of rhythm evidence whose messages are Stratum-sized
/// (the sizes bit): only such a client counts towards its server's fan-in.
inline constexpr double kRhythmSizedWeight = kRhythmWeights[2];

} // namespace minewatch::detect
