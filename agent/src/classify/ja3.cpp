// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "classify/ja3.hpp"

#include <openssl/evp.h>

#include <string>

namespace minewatch::classify {

namespace {
template <typename T> void appendList(std::string &out, const std::vector<T> &values, bool drop_grease) {
  bool first = true;
  for (T v : values) {
    if (drop_grease && isGrease(v))
      continue;
    if (!first)
      out += '-';
    out += std::to_string(v);
    first = false;
  }
}
} // namespace

bool isGrease(std::uint16_t value) { return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff); }

std::string ja3String(const TlsHello &hello) {
  std::string out = std::to_string(hello.version);
  out += ',';
  appendList(out, hello.ciphers, true);
  out += ',';
  appendList(out, hello.extensions, true);
  out += ',';
  appendList(out, hello.groups, true);
  out += ',';
  appendList(out, hello.point_formats, false);
  return out;
}

std::string md5Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &len, EVP_md5(), nullptr) != 1)
    return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0x0f];
  }
  return out;
}

} // namespace minewatch::classify
