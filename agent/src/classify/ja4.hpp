// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "classify/facts.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace minewatch::classify {

/// The JA4 TLS client fingerprint (FoxIO, BSD-3): "t13d1516h2_8daaf6152771_
/// d8a2da3f94cd" — transport, highest offered version, SNI or not, cipher
/// and extension counts, the first ALPN's first and last characters; then
/// the first 12 hex digits of the SHA-256 of the sorted ciphers, and of the
/// sorted extensions (less SNI and ALPN) with the signature algorithms in
/// wire order. GREASE is left out everywhere. Over TCP ("t") only.
std::string ja4Fingerprint(const TlsHello &hello);

/// SHA-256 of text as lower-case hex digits, the first `digits` of them.
std::string sha256Hex(std::string_view text, std::size_t digits);

} // namespace minewatch::classify
