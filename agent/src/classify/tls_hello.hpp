// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "classify/facts.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace minewatch::classify {

/// Reads a TLS ClientHello from the start of a TCP payload: record header,
/// handshake header, version, ciphers, compression and extensions (SNI,
/// ALPN, supported_groups, ec_point_formats, supported_versions), then the
/// JA3 string and MD5 when the hello was whole. nullopt when the payload does
/// not start with a handshake record holding a ClientHello. A hello cut short
/// (by the record, the handshake length or the sample) keeps what came before
/// the cut, with truncated set; it never reads outside the span.
std::optional<TlsHello> parseClientHello(std::span<const std::uint8_t> payload);

/// One line for people: "ClientHello: sni pool.example, alpn h2 http/1.1,
/// ja3 <md5>, ja4 <ja4>, whole (1800 bytes)", or "ClientHello: no sni seen,
/// cut short (256 of 1800 bytes seen)".
std::string describeHello(const TlsHello &hello);

} // namespace minewatch::classify
