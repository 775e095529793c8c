// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "classify/facts.hpp"

#include <cstdint>
#include <optional>
#include <span>

namespace minewatch::classify {

/// Reads a DNS message (a UDP payload, or a TCP one after its 2-byte length):
/// header, the question, and the A, AAAA and CNAME answers, following
/// compression pointers. Addresses are kept only if their owner is the
/// queried name or a CNAME reached from it, so a response cannot attach an
/// address to a name nobody asked for. nullopt when the header is not a
/// standard query or response with exactly one question; answers cut by the
/// end of the sample set truncated and keep the ones before the cut.
std::optional<DnsFacts> parseDns(std::span<const std::uint8_t> message);

} // namespace minewatch::classify
