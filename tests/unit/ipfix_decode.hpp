// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A small IPFIX reader for the tests: walks messages, sets and records as a
// collector would, learning templates from template sets (not from our
// encoder's tables), so an encoder that writes what it did not announce fails.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace minewatch::test {

struct DecodedField {
  std::uint16_t id;
  std::uint32_t pen;
  std::vector<std::uint8_t> value;
};

struct DecodedMessage {
  std::uint16_t version = 0, length = 0;
  std::uint32_t export_time = 0, sequence = 0, domain = 0;
  std::vector<std::uint16_t> set_ids;
  std::vector<std::pair<std::uint16_t, std::vector<DecodedField>>> records; // (template id, fields)
};

inline std::uint64_t be(std::span<const std::uint8_t> b) {
  std::uint64_t v = 0;
  for (auto c : b)
    v = v << 8 | c;
  return v;
}

class IpfixReader {
public:
  struct Spec {
    std::uint16_t id;
    std::uint16_t length;
    std::uint32_t pen;
  };

  /// One message from the front of `bytes`; throws on anything malformed.
  DecodedMessage read(std::span<const std::uint8_t> bytes) {
    auto need = [&](std::size_t at, std::size_t n, const char *what) {
      if (at + n > bytes.size())
        throw std::runtime_error(std::string("truncated ") + what);
    };
    need(0, 16, "header");
    DecodedMessage m;
    m.version = static_cast<std::uint16_t>(be(bytes.subspan(0, 2)));
    m.length = static_cast<std::uint16_t>(be(bytes.subspan(2, 2)));
    m.export_time = static_cast<std::uint32_t>(be(bytes.subspan(4, 4)));
    m.sequence = static_cast<std::uint32_t>(be(bytes.subspan(8, 4)));
    m.domain = static_cast<std::uint32_t>(be(bytes.subspan(12, 4)));
    if (m.version != 10)
      throw std::runtime_error("not IPFIX");
    need(0, m.length, "message");
    std::size_t at = 16;
    while (at < m.length) {
      need(at, 4, "set header");
      auto id = static_cast<std::uint16_t>(be(bytes.subspan(at, 2)));
      auto len = static_cast<std::size_t>(be(bytes.subspan(at + 2, 2)));
      if (len < 4 || at + len > m.length)
        throw std::runtime_error("bad set length");
      m.set_ids.push_back(id);
      auto set = bytes.subspan(at + 4, len - 4);
      if (id == 2)
        readTemplates(set);
      else if (id >= 256)
        readData(id, set, m);
      at += len;
    }
    return m;
  }
  [[nodiscard]] bool knows(std::uint16_t id) const { return templates_.count(id) != 0; }

private:
  void readTemplates(std::span<const std::uint8_t> set) {
    std::size_t at = 0;
    while (at + 4 <= set.size()) {
      auto id = static_cast<std::uint16_t>(be(set.subspan(at, 2)));
      auto n = be(set.subspan(at + 2, 2));
      at += 4;
      std::vector<Spec> specs;
      for (std::uint64_t i = 0; i < n; ++i) {
        if (at + 4 > set.size())
          throw std::runtime_error("truncated template");
        Spec s{static_cast<std::uint16_t>(be(set.subspan(at, 2))),
               static_cast<std::uint16_t>(be(set.subspan(at + 2, 2))), 0};
        at += 4;
        if (s.id & 0x8000) {
          if (at + 4 > set.size())
            throw std::runtime_error("truncated enterprise number");
          s.id &= 0x7fff;
          s.pen = static_cast<std::uint32_t>(be(set.subspan(at, 4)));
          at += 4;
        }
        specs.push_back(s);
      }
      templates_[id] = specs;
    }
  }

  void readData(std::uint16_t id, std::span<const std::uint8_t> set, DecodedMessage &m) {
    auto it = templates_.find(id);
    if (it == templates_.end())
      throw std::runtime_error("data set before its template");
    std::size_t at = 0;
    // RFC 7011: what is left shorter than the shortest record is padding.
    while (at < set.size() && set.size() - at >= 4) {
      std::vector<DecodedField> fields;
      for (const auto &s : it->second) {
        std::size_t n = s.length;
        if (n == 0xffff) {
          if (at >= set.size())
            throw std::runtime_error("truncated length");
          n = set[at++];
          if (n == 255) {
            n = static_cast<std::size_t>(be(set.subspan(at, 2)));
            at += 2;
          }
        }
        if (at + n > set.size())
          throw std::runtime_error("truncated field");
        fields.push_back(
            {s.id,
             s.pen,
             {set.begin() + static_cast<std::ptrdiff_t>(at), set.begin() + static_cast<std::ptrdiff_t>(at + n)}});
        at += n;
      }
      m.records.emplace_back(id, std::move(fields));
    }
  }

  std::map<std::uint16_t, std::vector<Spec>> templates_;
};

/// The value of element (id, pen) in a decoded record, as an integer.
inline std::uint64_t fieldValue(const std::vector<DecodedField> &fields, std::uint16_t id, std::uint32_t pen = 0) {
  for (const auto &f : fields)
    if (f.id == id && f.pen == pen)
      return be(f.value);
  throw std::runtime_error("no element " + std::to_string(id) + "/" + std::to_string(pen));
}

} // namespace minewatch::test
