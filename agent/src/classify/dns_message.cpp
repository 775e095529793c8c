// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Names are expanded by the C library's dn_expand (libresolv, part of
// libc6-dev): it bounds every read by the message end and refuses pointer
// loops, the fiddly half of a DNS parser. The fixed fields are read here so
// that a response cut by the 256-byte sample still yields its first answers
// (ns_initparse would refuse the whole message).
#include "classify/dns_message.hpp"

#include "classify/byte_reader.hpp"
#include "classify/text_util.hpp"

#include <netinet/in.h>
#include <resolv.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace minewatch::classify {

namespace {
constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeCname = 5;
constexpr std::uint16_t kTypeAaaa = 28;
constexpr std::uint16_t kClassIn = 1;
constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kMaxChain = 16;
constexpr std::size_t kMaxAnswers = 64;

using Bytes = std::span<const std::uint8_t>;

/// Expands the name at offset; false if it is malformed or runs past the end.
bool expandName(Bytes message, std::size_t offset, std::string &name, std::size_t &consumed) {
  if (offset >= message.size())
    return false;
  char buf[NS_MAXDNAME];
  int n = dn_expand(message.data(), message.data() + message.size(), message.data() + offset, buf, sizeof buf);
  if (n <= 0)
    return false;
  name = lowerAscii(buf);
  while (!name.empty() && name.back() == '.')
    name.pop_back();
  consumed = static_cast<std::size_t>(n);
  return true;
}

struct Record {
  std::string owner;
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  net::Address address;
  std::string target; // CNAME
};

// Reads one answer record at reader's position; false if cut or malformed.
bool readRecord(Bytes message, ByteReader &reader, Record &rr) {
  std::size_t used = 0;
  if (!expandName(message, reader.offset(), rr.owner, used) || !reader.skip(used))
    return false;
  std::uint16_t rclass = 0, rdlength = 0;
  Bytes rdata;
  if (!reader.u16(rr.type) || !reader.u16(rclass) || !reader.u32(rr.ttl) || !reader.u16(rdlength))
    return false;
  std::size_t rdata_offset = reader.offset();
  if (!reader.take(rdlength, rdata))
    return false;
  // RFC 2181 section 8: a TTL with the top bit set means zero.
  if (rr.ttl > 0x7fffffffu)
    rr.ttl = 0;
  if (rclass != kClassIn)
    rr.type = 0;
  else if (rr.type == kTypeA && rdlength == 4) {
    std::uint32_t v4 = 0; // network order, as fromV4 wants
    std::memcpy(&v4, rdata.data(), sizeof v4);
    rr.address = net::Address::fromV4(v4);
  } else if (rr.type == kTypeAaaa && rdlength == 16)
    std::copy(rdata.begin(), rdata.end(), rr.address.bytes.begin());
  else if (rr.type == kTypeCname) {
    // The target may point anywhere before it, but must not run past rdata.
    if (!expandName(message, rdata_offset, rr.target, used) || used > rdlength)
      rr.type = 0;
  } else
    rr.type = 0; // other types and malformed lengths are not reported
  return true;
}

// Owners that stand for the query: the name itself and its CNAME chain.
std::vector<std::string> followChain(const std::string &query, const std::vector<Record> &records) {
  std::vector<std::string> chain;
  std::string current = query;
  while (chain.size() < kMaxChain) {
    auto next = std::find_if(records.begin(), records.end(),
                             [&](const Record &r) { return r.type == kTypeCname && r.owner == current; });
    if (next == records.end() || next->target == query ||
        std::find(chain.begin(), chain.end(), next->target) != chain.end())
      break;
    current = next->target;
    chain.push_back(current);
  }
  return chain;
}
} // namespace

std::optional<DnsFacts> parseDns(std::span<const std::uint8_t> message) {
  ByteReader reader(message);
  std::uint16_t id = 0, flags = 0, qdcount = 0, ancount = 0;
  if (!reader.u16(id) || !reader.u16(flags) || !reader.u16(qdcount) || !reader.u16(ancount) || !reader.skip(4))
    return std::nullopt;
  unsigned opcode = (flags >> 11) & 0xf;
  if (qdcount != 1 || opcode != 0)
    return std::nullopt;

  DnsFacts facts;
  facts.id = id;
  facts.response = (flags & 0x8000) != 0;
  facts.rcode = static_cast<std::uint8_t>(flags & 0xf);
  std::size_t used = 0;
  if (!expandName(message, kHeaderSize, facts.query, used) || !reader.skip(used) || !reader.u16(facts.qtype) ||
      !reader.skip(2)) {
    if (facts.query.empty())
      return std::nullopt; // not even a question: not DNS we can use
    facts.truncated = true;
    return facts;
  }

  std::vector<Record> records;
  for (std::uint16_t i = 0; i < ancount && records.size() < kMaxAnswers; ++i) {
    Record rr;
    if (!readRecord(message, reader, rr)) {
      facts.truncated = true;
      break;
    }
    records.push_back(std::move(rr));
  }

  facts.cnames = followChain(facts.query, records);
  for (const Record &rr : records) {
    bool ours =
        rr.owner == facts.query || std::find(facts.cnames.begin(), facts.cnames.end(), rr.owner) != facts.cnames.end();
    if (ours && (rr.type == kTypeA || rr.type == kTypeAaaa))
      facts.addresses.push_back({rr.address, rr.ttl});
  }
  return facts;
}

} // namespace minewatch::classify
