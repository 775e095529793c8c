// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The TLS ClientHello parser (SNI, ALPN, JA3) on any bytes.
#include "classify/tls_hello.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  (void)minewatch::classify::parseClientHello({data, size});
  return 0;
}
