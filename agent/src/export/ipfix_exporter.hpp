// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "export/ipfix_encoder.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <vector>

namespace minewatch::ipfix {

/// Where records go: `export.ipfix: HOST:PORT[/tcp|/udp]` (UDP by default).
/// HOST is an IP address ("[V6]:PORT" for IPv6): names are not resolved,
/// because a resolver call would block the agent's loop.
struct Target {
  std::string host;
  std::uint16_t port = 0;
  bool tcp = false;
};
std::optional<Target> parseTarget(const std::string &text, std::string *why = nullptr);
std::string toString(const Target &target);

struct ExporterOptions {
  Target target;
  std::uint32_t template_refresh_s = 60; // UDP: the templates again this often
  std::uint32_t domain_id = 0;           // observation domain (the interface's index)
  std::size_t max_queue = 4096;          // records waiting for the collector; more are dropped
  std::size_t udp_message_bytes = 1400;  // fits a 1500-byte MTU under IPv6 and UDP headers
  std::size_t tcp_message_bytes = 16384;
  int tcp_send_buffer = 256 * 1024; // SO_SNDBUF: bounds what a collector that stops reading holds
};

/// Why records were dropped (minewatch_export_dropped_total{reason}).
enum class DropReason { QueueFull, Refused, ConnectionLost, SendError, TooLarge };
const char *toString(DropReason reason);
inline constexpr DropReason kDropReasons[] = {DropReason::QueueFull, DropReason::Refused, DropReason::ConnectionLost,
                                              DropReason::SendError, DropReason::TooLarge};

struct ExportCounters {
  std::uint64_t records = 0;  // records handed to the kernel
  std::uint64_t messages = 0; // messages handed to the kernel
  std::uint64_t connects = 0; // TCP connections established
  std::map<DropReason, std::uint64_t> dropped;
  [[nodiscard]] std::uint64_t droppedTotal() const;
};

/// Sends records to one collector without ever blocking: every socket call
/// is non-blocking, a TCP connect completes in later calls, and what the
/// collector cannot take waits in a bounded queue, past which records are
/// dropped and counted. A lost TCP connection is retried with backoff
/// (1 s doubling to 60 s) and starts with the templates again.
class Exporter {
public:
  explicit Exporter(ExporterOptions options);
  ~Exporter();
  Exporter(const Exporter &) = delete;
  Exporter &operator=(const Exporter &) = delete;

  /// Queues a record (or drops it, counted, when the queue is full).
  void submit(FlowRecord record);
  /// Moves what it can to the socket. now_ns: wall clock (export time, timers).
  void pump(std::uint64_t now_ns);

  [[nodiscard]] const ExportCounters &counters() const { return counters_; }
  [[nodiscard]] std::size_t queued() const { return queue_.size(); }
  [[nodiscard]] bool connected() const { return state_ == State::Connected; }
  [[nodiscard]] const ExporterOptions &options() const { return options_; }

private:
  enum class State { Closed, Connecting, Connected };
  void open(std::uint64_t now_ns);
  void close(std::uint64_t now_ns, DropReason why);
  bool finishConnect(std::uint64_t now_ns);
  void encodeNext(std::uint64_t now_ns);
  bool sendPending(std::uint64_t now_ns);
  void drop(DropReason why, std::uint64_t records);

  ExporterOptions options_;
  MessageEncoder encoder_;
  sockaddr_storage addr_{};
  socklen_t addr_len_ = 0;
  int fd_ = -1;
  State state_ = State::Closed;
  std::uint64_t next_attempt_ns_ = 0;
  std::uint64_t backoff_ns_ = 0;
  std::uint64_t templates_sent_ns_ = 0;
  bool templates_due_ = true;
  std::deque<FlowRecord> queue_;
  // One encoded message on its way, and how much of it the socket took.
  std::vector<std::uint8_t> pending_;
  std::size_t pending_records_ = 0, pending_sent_ = 0;
  bool pending_templates_ = false; // the pending message carries the templates
  ExportCounters counters_;
};

} // namespace minewatch::ipfix
