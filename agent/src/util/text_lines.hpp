// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstddef>
#include <string_view>

namespace minewatch::util {

/// Calls visit(line, number) for every line of `text` (numbers from 1; the
/// '\n' dropped, a '\r' left for the caller's trim): how rule files and
/// intel feeds are read, so their errors can name the line.
template <typename Visit> void forEachLine(std::string_view text, Visit &&visit) {
  std::size_t number = 0;
  while (!text.empty()) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    visit(line, ++number);
  }
}

} // namespace minewatch::util
