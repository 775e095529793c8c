// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "actions/event_log.hpp"

#include <cerrno>
#include <system_error>

namespace minewatch::actions {

EventLog::EventLog(const std::string &target) : out_(stdout), owned_(false) {
  if (target != "-") {
    out_ = std::fopen(target.c_str(), "a");
    if (!out_)
      throw std::system_error(errno, std::generic_category(), "open event log " + target);
    owned_ = true;
  }
}

EventLog::~EventLog() {
  if (owned_)
    std::fclose(out_);
}

void EventLog::write(const nlohmann::json &event) {
  auto line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
  ++written_;
}

} // namespace minewatch::actions
