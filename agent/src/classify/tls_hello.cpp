// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// ClientHello layout: RFC 8446 section 4.1.2 (and 5246 7.4.1.2 before it).
#include "classify/tls_hello.hpp"

#include "classify/byte_reader.hpp"
#include "classify/ja3.hpp"
#include "classify/ja4.hpp"
#include "classify/text_util.hpp"

#include <algorithm>

namespace minewatch::classify {

namespace {
constexpr std::uint8_t kHandshakeRecord = 22;
constexpr std::uint8_t kClientHello = 1;
constexpr std::uint16_t kServerName = 0;
constexpr std::uint16_t kSupportedGroups = 10;
constexpr std::uint16_t kEcPointFormats = 11;
constexpr std::uint16_t kSignatureAlgorithms = 13;
constexpr std::uint16_t kAlpn = 16;
constexpr std::uint16_t kSupportedVersions = 43;
constexpr std::uint8_t kHostName = 0;
constexpr std::size_t kMaxAlpn = 16;

using Bytes = std::span<const std::uint8_t>;

// Extension bodies are read on their own reader, so a malformed one stops
// there and the next extension is still read.
void readServerName(ByteReader r, TlsHello &hello) {
  Bytes list;
  std::uint16_t list_len = 0;
  if (!r.u16(list_len) || !r.take(list_len, list))
    return;
  ByteReader names(list);
  std::uint8_t type = 0;
  std::uint16_t len = 0;
  Bytes name;
  while (names.u8(type) && names.u16(len) && names.take(len, name))
    if (type == kHostName && hello.sni.empty())
      hello.sni = printableAscii(asText(name));
}

void readAlpn(ByteReader r, TlsHello &hello) {
  Bytes list;
  std::uint16_t list_len = 0;
  if (!r.u16(list_len) || !r.take(list_len, list))
    return;
  ByteReader protocols(list);
  std::uint8_t len = 0;
  Bytes name;
  while (hello.alpn.size() < kMaxAlpn && protocols.u8(len) && protocols.take(len, name))
    hello.alpn.push_back(printableAscii(asText(name)));
}

void readU16List(ByteReader r, bool one_byte_length, std::vector<std::uint16_t> &out) {
  std::uint16_t len = 0;
  std::uint8_t len8 = 0;
  if (one_byte_length ? !r.u8(len8) : !r.u16(len))
    return;
  Bytes list;
  if (!r.take(one_byte_length ? len8 : len, list))
    return;
  ByteReader items(list);
  std::uint16_t v = 0;
  while (items.u16(v))
    out.push_back(v);
}

void readPointFormats(ByteReader r, TlsHello &hello) {
  std::uint8_t len = 0;
  Bytes list;
  if (r.u8(len) && r.take(len, list))
    hello.point_formats.assign(list.begin(), list.end());
}

void readExtension(std::uint16_t type, Bytes body, TlsHello &hello) {
  switch (type) {
  case kServerName: readServerName(ByteReader(body), hello); break;
  case kSupportedGroups: readU16List(ByteReader(body), false, hello.groups); break;
  case kEcPointFormats: readPointFormats(ByteReader(body), hello); break;
  case kSignatureAlgorithms: readU16List(ByteReader(body), false, hello.signature_algorithms); break;
  case kAlpn: readAlpn(ByteReader(body), hello); break;
  case kSupportedVersions: readU16List(ByteReader(body), true, hello.supported_versions); break;
  default: break;
  }
}

// Reads the hello body; false when it ends before the extensions do.
bool readHello(ByteReader r, TlsHello &hello) {
  std::uint8_t session_len = 0, compression_len = 0;
  std::uint16_t cipher_len = 0;
  Bytes ciphers;
  if (!r.u16(hello.version) || !r.skip(32) || !r.u8(session_len) || !r.skip(session_len) || !r.u16(cipher_len))
    return false;
  bool ciphers_whole = r.take(cipher_len, ciphers);
  if (!ciphers_whole)
    ciphers = r.rest();
  ByteReader cr(ciphers);
  for (std::uint16_t c = 0; cr.u16(c);)
    hello.ciphers.push_back(c);
  if (!ciphers_whole || !r.u8(compression_len) || !r.skip(compression_len))
    return false;
  if (r.remaining() == 0)
    return true; // a hello without extensions (SSL 3.0 style)

  std::uint16_t ext_len = 0;
  Bytes extensions;
  if (!r.u16(ext_len))
    return false;
  bool extensions_whole = r.take(ext_len, extensions);
  if (!extensions_whole)
    extensions = r.rest();
  ByteReader er(extensions);
  while (er.remaining() > 0) {
    std::uint16_t type = 0, len = 0;
    Bytes body;
    if (!er.u16(type) || !er.u16(len))
      return false;
    hello.extensions.push_back(type);
    if (!er.take(len, body))
      return false;
    readExtension(type, body, hello);
  }
  return extensions_whole;
}
} // namespace

std::optional<TlsHello> parseClientHello(std::span<const std::uint8_t> payload) {
  ByteReader record(payload);
  std::uint8_t content_type = 0, handshake_type = 0;
  std::uint16_t record_version = 0, record_len = 0;
  if (!record.u8(content_type) || content_type != kHandshakeRecord || !record.u16(record_version) ||
      (record_version >> 8) != 3 || !record.u16(record_len))
    return std::nullopt;
  // The hello may continue in a later record or segment: read what is here.
  Bytes fragment = record.rest().first(std::min<std::size_t>(record_len, record.remaining()));
  ByteReader handshake(fragment);
  if (!handshake.u8(handshake_type) || handshake_type != kClientHello)
    return std::nullopt;

  TlsHello hello;
  hello.record_version = record_version;
  hello.bytes_total = 5 + std::size_t{record_len};
  hello.bytes_seen = std::min(payload.size(), hello.bytes_total);
  std::uint32_t hello_len = 0;
  bool complete = handshake.u24(hello_len) && hello_len <= handshake.remaining() &&
                  readHello(ByteReader(handshake.rest().first(hello_len)), hello);
  if (!complete && hello_len > 0 && hello_len > handshake.remaining()) {
    // Cut by the sample or the record: read the part we have.
    readHello(ByteReader(handshake.rest()), hello);
  }
  hello.truncated = !complete;
  if (complete) {
    hello.ja3 = ja3String(hello);
    hello.ja3_md5 = md5Hex(hello.ja3);
    hello.ja4 = ja4Fingerprint(hello);
  }
  return hello;
}

std::string describeHello(const TlsHello &hello) {
  std::string out = "ClientHello: ";
  out += hello.sni.empty() ? (hello.truncated ? "no sni seen" : "no sni") : "sni " + hello.sni;
  if (!hello.alpn.empty()) {
    out += ", alpn ";
    for (std::size_t i = 0; i < hello.alpn.size(); ++i)
      out += (i ? " " : "") + hello.alpn[i];
  }
  if (!hello.ja3_md5.empty())
    out += ", ja3 " + hello.ja3_md5;
  if (!hello.ja4.empty())
    out += ", ja4 " + hello.ja4;
  if (hello.truncated)
    return out + ", cut short (" + std::to_string(hello.bytes_seen) + " of " + std::to_string(hello.bytes_total) +
           " bytes seen)";
  return out + ", whole (" + std::to_string(hello.bytes_seen) + " bytes)";
}

} // namespace minewatch::classify
