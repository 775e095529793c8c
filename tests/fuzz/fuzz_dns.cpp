// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The DNS message parser (answers, names, compression pointers) on any bytes.
#include "classify/dns_message.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  (void)minewatch::classify::parseDns({data, size});
  return 0;
}
