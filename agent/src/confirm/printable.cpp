// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "confirm/printable.hpp"

namespace minewatch::confirm {

std::string printableHead(std::string_view bytes, std::size_t limit) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto head = bytes.substr(0, limit);
  std::string out;
  out.reserve(head.size());
  for (unsigned char c : head) {
    switch (c) {
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    case '\\': out += "\\\\"; break;
    default:
      if (c >= 0x20 && c < 0x7f) {
        out += static_cast<char>(c);
      } else {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
      }
    }
  }
  return out;
}

} // namespace minewatch::confirm
