// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// classifyPayload on any bytes: the first byte picks the context (transport,
// direction, DNS sample, well-known ports), the rest is the sample.
#include "classify/classify.hpp"

#include <cstddef>
#include <cstdint>

using namespace minewatch::classify;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  if (size == 0)
    return 0;
  const std::uint8_t pick = data[0];
  static constexpr std::uint16_t kPorts[] = {3333, 443, 53, 80};
  PayloadContext context;
  context.transport = (pick & 1) ? Transport::Udp : Transport::Tcp;
  context.direction = static_cast<Direction>((pick >> 1) % 3);
  context.dns_sample = (pick & 8) != 0;
  context.src_port = 40000;
  context.dst_port = kPorts[(pick >> 4) & 3];
  (void)classifyPayload({data + 1, size - 1}, context);
  return 0;
}
