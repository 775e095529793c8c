// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The IPFIX exporting process: one socket to one collector, driven from the
// agent's tick. Nothing here may wait: a collector that is gone, refuses, or
// reads slowly costs records (counted), never the drain's time.
#include "export/ipfix_exporter.hpp"

#include "net/address.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

namespace minewatch::ipfix {

namespace {
constexpr std::uint64_t kNsPerSec = 1'000'000'000ull;
constexpr std::uint64_t kMaxBackoffNs = 60 * kNsPerSec;
// Messages one pump may hand to the kernel: a backlog drains over a few
// ticks rather than making one tick long.
constexpr int kMessagesPerPump = 256;
} // namespace

std::optional<Target> parseTarget(const std::string &text, std::string *why) {
  auto fail = [&](const std::string &reason) -> std::optional<Target> {
    if (why)
      *why = "'" + text + "' " + reason;
    return std::nullopt;
  };
  Target out;
  auto body = text;
  if (auto slash = text.rfind('/'); slash != std::string::npos) {
    auto proto = text.substr(slash + 1);
    if (proto != "tcp" && proto != "udp")
      return fail("names a transport other than /tcp or /udp");
    out.tcp = proto == "tcp";
    body = text.substr(0, slash);
  }
  auto colon = body.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return fail("must be HOST:PORT[/tcp|/udp] or [IPV6]:PORT[/tcp|/udp]");
  out.host = body.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']')
    out.host = out.host.substr(1, out.host.size() - 2);
  else if (out.host.find(':') != std::string::npos)
    return fail("needs brackets around an IPv6 address: [2001:db8::1]:4739");
  if (!net::Address::parse(out.host))
    return fail("needs the collector's IP address (names are not resolved: a lookup would block the agent)");
  auto port = body.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) == 0 || std::stoul(port) > 65535)
    return fail("needs a port 1-65535");
  out.port = static_cast<std::uint16_t>(std::stoul(port));
  return out;
}

std::string toString(const Target &t) {
  auto host = t.host.find(':') != std::string::npos ? "[" + t.host + "]" : t.host;
  return host + ":" + std::to_string(t.port) + (t.tcp ? "/tcp" : "/udp");
}

const char *toString(DropReason reason) {
  switch (reason) {
  case DropReason::QueueFull: return "queue_full";
  case DropReason::Refused: return "refused";
  case DropReason::ConnectionLost: return "connection_lost";
  case DropReason::SendError: return "send_error";
  case DropReason::TooLarge: return "too_large";
  }
  return "send_error";
}

std::uint64_t ExportCounters::droppedTotal() const {
  std::uint64_t n = 0;
  for (const auto &[_, count] : dropped)
    n += count;
  return n;
}

Exporter::Exporter(ExporterOptions options)
    : options_(std::move(options)),
      encoder_(options_.domain_id, options_.target.tcp ? options_.tcp_message_bytes : options_.udp_message_bytes) {
  auto address = net::Address::parse(options_.target.host);
  if (!address)
    throw std::invalid_argument("export.ipfix: no IP address in " + options_.target.host);
  // A v4-mapped address is IPv4 on the wire: an AF_INET socket.
  const auto &bytes = address->bytes;
  bool v4 = address->isV4();
  if (v4) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(options_.target.port);
    std::memcpy(&sin.sin_addr, bytes.data() + 12, 4);
    std::memcpy(&addr_, &sin, sizeof sin);
    addr_len_ = sizeof sin;
  } else {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(options_.target.port);
    std::memcpy(&sin6.sin6_addr, bytes.data(), 16);
    std::memcpy(&addr_, &sin6, sizeof sin6);
    addr_len_ = sizeof sin6;
  }
}

Exporter::~Exporter() {
  if (fd_ >= 0)
    ::close(fd_);
}

void Exporter::drop(DropReason why, std::uint64_t records) {
  if (records)
    counters_.dropped[why] += records;
}

void Exporter::submit(FlowRecord record) {
  if (queue_.size() >= options_.max_queue) {
    drop(DropReason::QueueFull, 1);
    return;
  }
  queue_.push_back(std::move(record));
}

void Exporter::open(std::uint64_t now_ns) {
  int type = (options_.target.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
  fd_ = ::socket(addr_.ss_family, type, 0);
  if (fd_ < 0) {
    close(now_ns, DropReason::SendError);
    return;
  }
  if (options_.target.tcp && options_.tcp_send_buffer > 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &options_.tcp_send_buffer, sizeof options_.tcp_send_buffer);
  if (::connect(fd_, reinterpret_cast<const sockaddr *>(&addr_), addr_len_) == 0) {
    state_ = State::Connected;
  } else if (errno == EINPROGRESS) {
    state_ = State::Connecting;
    return;
  } else {
    close(now_ns, DropReason::Refused);
    return;
  }
  if (options_.target.tcp)
    ++counters_.connects;
  encoder_.resetSequence();
  templates_due_ = true;
  backoff_ns_ = 0;
}

bool Exporter::finishConnect(std::uint64_t now_ns) {
  pollfd p{fd_, POLLOUT, 0};
  if (::poll(&p, 1, 0) <= 0)
    return false; // still on its way
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
    close(now_ns, DropReason::Refused);
    return false;
  }
  state_ = State::Connected;
  ++counters_.connects;
  // A new transport session: sequence numbers from zero, templates first.
  encoder_.resetSequence();
  templates_due_ = true;
  backoff_ns_ = 0;
  return true;
}

void Exporter::close(std::uint64_t now_ns, DropReason why) {
  // A message cut in the middle cannot be finished on another connection,
  // and one encoded for this session carries its sequence numbers.
  drop(why, pending_records_);
  pending_.clear();
  pending_records_ = pending_sent_ = 0;
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  state_ = State::Closed;
  backoff_ns_ = backoff_ns_ ? std::min(backoff_ns_ * 2, kMaxBackoffNs) : kNsPerSec;
  next_attempt_ns_ = now_ns + backoff_ns_;
}

void Exporter::encodeNext(std::uint64_t now_ns) {
  encoder_.begin(static_cast<std::uint32_t>(now_ns / kNsPerSec));
  bool with_templates = templates_due_;
  if (with_templates) {
    encoder_.addTemplates();
    templates_due_ = false;
    templates_sent_ns_ = now_ns;
  }
  while (!queue_.empty() && encoder_.addRecord(queue_.front()))
    queue_.pop_front();
  if (encoder_.records() == 0 && !with_templates && !queue_.empty()) {
    // Cannot happen with strings capped at kMaxString; counted if it does.
    queue_.pop_front();
    drop(DropReason::TooLarge, 1);
  }
  pending_records_ = encoder_.records();
  pending_templates_ = with_templates;
  pending_ = encoder_.finish();
  pending_sent_ = 0;
}

bool Exporter::sendPending(std::uint64_t now_ns) {
  while (pending_sent_ < pending_.size()) {
    auto n = ::send(fd_, pending_.data() + pending_sent_, pending_.size() - pending_sent_, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      // UDP takes a datagram whole; TCP may take part of it.
      pending_sent_ += options_.target.tcp ? static_cast<std::size_t>(n) : pending_.size();
      continue;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
      return false; // the collector is slow: keep it, try next tick
    if (options_.target.tcp) {
      close(now_ns, DropReason::ConnectionLost);
      return false;
    }
    // UDP: an ICMP error for an earlier datagram surfaces on this send, which
    // did not go. The socket stays: the next send may well reach it.
    drop(errno == ECONNREFUSED ? DropReason::Refused : DropReason::SendError, pending_records_);
    // A collector that comes up later should not wait a refresh interval
    // for templates it never got.
    templates_due_ = templates_due_ || pending_templates_;
    pending_.clear();
    pending_records_ = pending_sent_ = 0;
    return true;
  }
  counters_.records += pending_records_;
  ++counters_.messages;
  pending_.clear();
  pending_records_ = pending_sent_ = 0;
  return true;
}

void Exporter::pump(std::uint64_t now_ns) {
  if (state_ == State::Closed) {
    if (now_ns < next_attempt_ns_)
      return;
    open(now_ns);
  }
  if (state_ == State::Connecting && !finishConnect(now_ns))
    return;
  if (state_ != State::Connected)
    return;
  if (!options_.target.tcp && options_.template_refresh_s &&
      now_ns - templates_sent_ns_ >= std::uint64_t{options_.template_refresh_s} * kNsPerSec)
    templates_due_ = true;
  for (int i = 0; i < kMessagesPerPump; ++i) {
    if (pending_.empty()) {
      if (queue_.empty() && !templates_due_)
        return;
      encodeNext(now_ns);
    }
    if (!sendPending(now_ns))
      return;
  }
}

} // namespace minewatch::ipfix
