// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "classify/facts.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace minewatch::classify {

/// GREASE (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. Clients sprinkle these
/// at random, so fingerprints leave them out.
bool isGrease(std::uint16_t value);

/// "version,ciphers,extensions,groups,pointformats" in decimal, list items
/// joined by '-', GREASE removed (the JA3 definition).
std::string ja3String(const TlsHello &hello);

/// MD5 of text as 32 lower-case hex digits (OpenSSL's EVP); empty if the
/// digest is unavailable (e.g. a FIPS-only OpenSSL).
std::string md5Hex(std::string_view text);

} // namespace minewatch::classify
