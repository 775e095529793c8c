// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

namespace minewatch::actions {

/// JSON-lines events, one object a line, flushed per event so a consumer
/// tailing the file (or a pipe) sees each detection as it happens.
class EventLog {
public:
  /// "-" writes to stdout; anything else is a file opened for appending.
  explicit EventLog(const std::string &target);
  EventLog(const EventLog &) = delete;
  EventLog &operator=(const EventLog &) = delete;
  ~EventLog();

  void write(const nlohmann::json &event);
  [[nodiscard]] std::uint64_t written() const { return written_; }

private:
  std::FILE *out_;
  bool owned_;
  std::uint64_t written_ = 0;
};

} // namespace minewatch::actions
