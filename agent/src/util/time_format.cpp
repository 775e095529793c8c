// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "util/time_format.hpp"

#include <ctime>

#include <fmt/format.h>

namespace minewatch::util {

namespace {
std::uint64_t read(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}
} // namespace

std::string rfc3339(std::uint64_t wall_ns) {
  auto seconds = static_cast<time_t>(wall_ns / 1'000'000'000ull);
  auto millis = (wall_ns / 1'000'000ull) % 1000;
  tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

std::uint64_t wallNowNs() { return read(CLOCK_REALTIME); }

TimeBase TimeBase::live() {
  return TimeBase(static_cast<std::int64_t>(read(CLOCK_REALTIME)) - static_cast<std::int64_t>(read(CLOCK_MONOTONIC)));
}

} // namespace minewatch::util
