// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/sensor_options.hpp"

#include "minewatch_abi.h"

#include <unistd.h>

#include <stdexcept>
#include <string>

namespace minewatch::datapath {

void validate(const SensorOptions &o) {
  auto fail = [](const std::string &what) { throw std::invalid_argument(what); };
  if (o.max_flows == 0)
    fail("max_flows must be at least 1");
  auto page = static_cast<std::uint32_t>(sysconf(_SC_PAGESIZE));
  auto rb = o.ring_buffer_bytes;
  if (rb < page || (rb & (rb - 1)) != 0)
    fail("ring_buffer_bytes must be a power of two of at least " + std::to_string(page) + ", got " +
         std::to_string(rb));
  auto dirty = o.dirty_ring_bytes;
  if (dirty < page || (dirty & (dirty - 1)) != 0)
    fail("dirty_ring_bytes must be a power of two of at least " + std::to_string(page) + ", got " +
         std::to_string(dirty));
  if (o.max_block_rules == 0)
    fail("max_block_rules must be at least 1");
  if (o.sample_bytes == 0 || o.sample_bytes > MINEWATCH_SAMPLE_MAX)
    fail("sample_bytes must be 1-" + std::to_string(MINEWATCH_SAMPLE_MAX) + ", got " +
         std::to_string(o.sample_bytes));
}

} // namespace minewatch::datapath
