// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "classify/json_carry.hpp"

#include "classify/json_scan.hpp"

#include <algorithm>
#include <utility>

namespace minewatch::classify {

namespace {
// JSON text is printable: binary payload (TLS records, say) that happens
// to hold a '{' at a line start is not carried into the next sample.
bool printableText(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u >= 0x20 || c == '\t' || c == '\r' || c == '\n';
  });
}
} // namespace

std::string JsonCarry::join(std::string_view sample, bool whole_packet) {
  std::string joined = std::exchange(text_, {});
  joined.append(sample);
  if (!whole_packet || joined.find_first_of("{[") == std::string::npos)
    return joined;
  JsonScan scan = scanJson(joined);
  if (!scan.truncated)
    return joined;
  std::string_view cut = std::string_view(joined).substr(scan.cut_at);
  if (cut.size() < kMaxText && printableText(cut))
    text_ = cut;
  return joined;
}

} // namespace minewatch::classify
