// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "replay/pcap_reader.hpp"

#include <pcap/pcap.h>

#include <cstring>
#include <stdexcept>

namespace minewatch::replay {

namespace {
constexpr std::size_t kMaxFrame = 65536 + 64;
constexpr std::uint8_t kEthernetTemplate[12] = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01};

void ethernetFrom(Frame &frame, std::uint16_t ethertype, const std::uint8_t *l3, std::size_t len) {
  frame.bytes.assign(kEthernetTemplate, kEthernetTemplate + 12);
  frame.bytes.push_back(static_cast<std::uint8_t>(ethertype >> 8));
  frame.bytes.push_back(static_cast<std::uint8_t>(ethertype & 0xff));
  frame.bytes.insert(frame.bytes.end(), l3, l3 + len);
}

std::uint16_t ethertypeOfIp(const std::uint8_t *l3, std::size_t len) {
  if (len == 0)
    return 0;
  switch (l3[0] >> 4) {
  case 4: return 0x0800;
  case 6: return 0x86dd;
  default: return 0;
  }
}
} // namespace

PcapReader::PcapReader(const std::string &path) : path_(path) {
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_ = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, err);
  if (!pcap_)
    throw std::runtime_error("cannot read capture " + path + ": " + err);
  link_type_ = pcap_datalink(pcap_);
  switch (link_type_) {
  case DLT_EN10MB:
  case DLT_RAW:
  case DLT_IPV4:
  case DLT_IPV6:
  case DLT_LINUX_SLL:
  case DLT_LINUX_SLL2:
  case DLT_NULL:
  case DLT_LOOP: break;
  default: {
    const char *name = pcap_datalink_val_to_name(link_type_);
    pcap_close(pcap_);
    throw std::runtime_error("capture " + path + " has link type " + (name ? name : std::to_string(link_type_)) +
                             "; minewatch replays Ethernet, raw IP, Linux cooked and loopback captures");
  }
  }
}

PcapReader::~PcapReader() {
  if (pcap_)
    pcap_close(pcap_);
}

bool PcapReader::next(Frame &frame) {
  for (;;) {
    pcap_pkthdr *hdr = nullptr;
    const u_char *data = nullptr;
    int rc = pcap_next_ex(pcap_, &hdr, &data);
    if (rc == PCAP_ERROR_BREAK || !cut_short_.empty())
      return false;
    if (rc != 1) {
      cut_short_ = "capture " + path_ + " stops making sense after " + std::to_string(records_) +
                   " records: " + pcap_geterr(pcap_);
      return false;
    }
    ++records_;

    frame.ts_ns = static_cast<std::uint64_t>(hdr->ts.tv_sec) * 1'000'000'000ull +
                  static_cast<std::uint64_t>(hdr->ts.tv_usec); // nanosecond precision was requested
    std::size_t caplen = hdr->caplen;
    std::size_t wirelen = std::max<std::size_t>(hdr->len, caplen);
    frame.padded = false;
    switch (link_type_) {
    case DLT_EN10MB: frame.bytes.assign(data, data + caplen); break;
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
      ethernetFrom(frame, ethertypeOfIp(data, caplen), data, caplen);
      wirelen += 14;
      break;
    case DLT_LINUX_SLL:
      if (caplen < 16) {
        ++skipped_;
        continue;
      }
      ethernetFrom(frame, static_cast<std::uint16_t>(data[14] << 8 | data[15]), data + 16, caplen - 16);
      wirelen -= 2;
      break;
    case DLT_LINUX_SLL2:
      if (caplen < 20) {
        ++skipped_;
        continue;
      }
      ethernetFrom(frame, static_cast<std::uint16_t>(data[0] << 8 | data[1]), data + 20, caplen - 20);
      wirelen -= 6;
      break;
    default: // DLT_NULL, DLT_LOOP: 4-byte address family, then IP
      if (caplen < 4) {
        ++skipped_;
        continue;
      }
      ethernetFrom(frame, ethertypeOfIp(data + 4, caplen - 4), data + 4, caplen - 4);
      wirelen += 10;
      break;
    }
    if (frame.bytes.size() < 14 || wirelen > kMaxFrame) {
      ++skipped_;
      continue;
    }
    if (frame.bytes.size() < wirelen) {
      frame.bytes.resize(wirelen, 0);
      frame.padded = true;
    }
    return true;
  }
}

} // namespace minewatch::replay
