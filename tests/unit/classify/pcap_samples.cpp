// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "pcap_samples.hpp"

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>

namespace minewatch::test {

namespace {
using Bytes = std::span<const std::uint8_t>;

std::uint16_t be16(Bytes b, std::size_t at) { return static_cast<std::uint16_t>((b[at] << 8) | b[at + 1]); }

struct Packet {
  std::string src, dst;
  std::uint16_t sport = 0, dport = 0;
  bool tcp = false;
  bool syn_only = false;
  Bytes payload;
};

std::string addressText(int family, const std::uint8_t *bytes) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, bytes, buf, sizeof buf);
  return buf;
}

// L3 onwards; false for anything but first-fragment IPv4/IPv6 TCP or UDP.
bool parseIp(Bytes l3, Packet &p) {
  std::uint8_t proto = 0;
  Bytes l4;
  if (l3.size() >= 20 && (l3[0] >> 4) == 4) {
    std::size_t ihl = (l3[0] & 0x0f) * 4u;
    std::size_t total = std::min<std::size_t>(be16(l3, 2), l3.size());
    if (ihl < 20 || total < ihl || (be16(l3, 6) & 0x1fff) != 0)
      return false;
    proto = l3[9];
    p.src = addressText(AF_INET, &l3[12]);
    p.dst = addressText(AF_INET, &l3[16]);
    l4 = l3.subspan(ihl, total - ihl);
  } else if (l3.size() >= 40 && (l3[0] >> 4) == 6) {
    proto = l3[6];
    p.src = addressText(AF_INET6, &l3[8]);
    p.dst = addressText(AF_INET6, &l3[24]);
    l4 = l3.subspan(40, std::min<std::size_t>(be16(l3, 4), l3.size() - 40));
  } else {
    return false;
  }
  if (proto == IPPROTO_TCP && l4.size() >= 20) {
    std::size_t off = (l4[12] >> 4) * 4u;
    if (off < 20 || off > l4.size())
      return false;
    p.tcp = true;
    p.syn_only = (l4[13] & 0x12) == 0x02;
    p.payload = l4.subspan(off);
  } else if (proto == IPPROTO_UDP && l4.size() >= 8) {
    p.payload = l4.subspan(8);
  } else {
    return false;
  }
  p.sport = be16(l4, 0);
  p.dport = be16(l4, 2);
  return true;
}

bool parseFrame(int link, Bytes frame, Packet &p) {
  switch (link) {
  case DLT_EN10MB: {
    std::size_t at = 12;
    while (frame.size() >= at + 2 && (be16(frame, at) == 0x8100 || be16(frame, at) == 0x88a8))
      at += 4;
    return frame.size() >= at + 2 && parseIp(frame.subspan(at + 2), p);
  }
  case DLT_LINUX_SLL: return frame.size() >= 16 && parseIp(frame.subspan(16), p);
  case DLT_RAW: return parseIp(frame, p);
  default: throw std::runtime_error("unsupported link type " + std::to_string(link));
  }
}

std::string endpoint(const std::string &addr, std::uint16_t port) {
  return addr.find(':') == std::string::npos ? addr + ":" + std::to_string(port)
                                             : "[" + addr + "]:" + std::to_string(port);
}
} // namespace

std::string DirectionSamples::name() const {
  return std::string(transport == classify::Transport::Tcp ? "tcp " : "udp ") + endpoint(src, sport) + " > " +
         endpoint(dst, dport);
}

std::string DirectionSamples::flowName() const {
  auto a = endpoint(src, sport), b = endpoint(dst, dport);
  return std::string(transport == classify::Transport::Tcp ? "tcp " : "udp ") + std::min(a, b) + " " + std::max(a, b);
}

classify::PayloadContext DirectionSamples::context() const { return {transport, sport, dport, direction, false}; }

std::vector<DirectionSamples> sampleCapture(const std::string &path, std::size_t packets, std::size_t bytes) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, decltype(&pcap_close)> pcap(pcap_open_offline(path.c_str(), err), &pcap_close);
  if (!pcap)
    throw std::runtime_error("cannot read " + path + ": " + err);
  int link = pcap_datalink(pcap.get());

  std::vector<DirectionSamples> out;
  std::map<std::string, std::size_t> index;  // direction name -> out
  std::map<std::string, std::string> client; // flow name -> client endpoint
  pcap_pkthdr *hdr = nullptr;
  const u_char *data = nullptr;
  while (pcap_next_ex(pcap.get(), &hdr, &data) == 1) {
    Packet p;
    if (!parseFrame(link, Bytes(data, hdr->caplen), p))
      continue;
    DirectionSamples d;
    d.src = p.src, d.dst = p.dst, d.sport = p.sport, d.dport = p.dport;
    d.transport = p.tcp ? classify::Transport::Tcp : classify::Transport::Udp;
    std::string flow = d.flowName();
    if (p.syn_only || !client.contains(flow))
      client[flow] = endpoint(p.src, p.sport);
    auto [it, added] = index.emplace(d.name(), out.size());
    if (added)
      out.push_back(d);
    DirectionSamples &dir = out[it->second];
    if (p.payload.empty() || dir.samples.size() >= packets)
      continue;
    dir.samples.emplace_back(p.payload.begin(), p.payload.begin() + std::min(bytes, p.payload.size()));
  }
  for (auto &d : out)
    d.direction = client[d.flowName()] == endpoint(d.src, d.sport) ? classify::Direction::ClientToServer
                                                                   : classify::Direction::ServerToClient;
  return out;
}

} // namespace minewatch::test
