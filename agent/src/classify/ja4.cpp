// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// JA4 as specified in FoxIO-LLC/ja4 technical_details/JA4.md.
#include "classify/ja4.hpp"

#include "classify/ja3.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <iterator>

namespace minewatch::classify {

namespace {
constexpr std::uint16_t kServerName = 0x0000;
constexpr std::uint16_t kAlpn = 0x0010;
constexpr std::size_t kHashDigits = 12;

std::vector<std::uint16_t> withoutGrease(const std::vector<std::uint16_t> &values) {
  std::vector<std::uint16_t> out;
  std::copy_if(values.begin(), values.end(), std::back_inserter(out), [](auto v) { return !isGrease(v); });
  return out;
}

std::string versionCode(const TlsHello &hello) {
  // The highest of supported_versions when sent (TLS 1.3 hides there), else
  // the hello's own version.
  auto offered = withoutGrease(hello.supported_versions);
  std::uint16_t v = offered.empty() ? hello.version : *std::max_element(offered.begin(), offered.end());
  switch (v) {
  case 0x0304: return "13";
  case 0x0303: return "12";
  case 0x0302: return "11";
  case 0x0301: return "10";
  case 0x0300: return "s3";
  case 0x0002: return "s2";
  default: return "00";
  }
}

std::string alpnCode(const TlsHello &hello) {
  if (hello.alpn.empty() || hello.alpn.front().empty())
    return "00";
  const std::string &a = hello.alpn.front();
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (alnum(a.front()) && alnum(a.back()))
    return {a.front(), a.back()};
  // Not alphanumeric: the first and last hex digits of the value instead.
  auto hex = fmt::format("{:02x}", static_cast<unsigned char>(a.front()));
  auto hex_last = fmt::format("{:02x}", static_cast<unsigned char>(a.back()));
  return {hex.front(), hex_last.back()};
}

std::string hexList(const std::vector<std::uint16_t> &values) {
  std::string out;
  for (auto v : values)
    out += (out.empty() ? "" : ",") + fmt::format("{:04x}", v);
  return out;
}

std::string truncatedHash(const std::string &text) {
  return text.empty() ? std::string(kHashDigits, '0') : sha256Hex(text, kHashDigits);
}
} // namespace

std::string sha256Hex(std::string_view text, std::size_t digits) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr) != 1)
    return {};
  std::string out;
  for (unsigned int i = 0; i < len && out.size() < digits; ++i)
    out += fmt::format("{:02x}", digest[i]);
  return out.substr(0, digits);
}

std::string ja4Fingerprint(const TlsHello &hello) {
  auto ciphers = withoutGrease(hello.ciphers);
  auto extensions = withoutGrease(hello.extensions);
  bool has_sni = std::find(extensions.begin(), extensions.end(), kServerName) != extensions.end();
  std::string a = fmt::format("t{}{}{:02}{:02}{}", versionCode(hello), has_sni ? 'd' : 'i',
                              std::min<std::size_t>(ciphers.size(), 99), std::min<std::size_t>(extensions.size(), 99),
                              alpnCode(hello));

  std::sort(ciphers.begin(), ciphers.end());
  std::erase_if(extensions, [](auto e) { return e == kServerName || e == kAlpn; });
  std::sort(extensions.begin(), extensions.end());
  std::string c = hexList(extensions);
  auto sig_algs = withoutGrease(hello.signature_algorithms);
  if (!sig_algs.empty())
    c += "_" + hexList(sig_algs);
  return a + "_" + truncatedHash(hexList(ciphers)) + "_" + truncatedHash(c);
}

} // namespace minewatch::classify
