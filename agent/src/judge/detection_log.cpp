// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "judge/detection_log.hpp"

namespace minewatch::judge {

const char *toString(Action action) {
  switch (action) {
  case Action::Alert: return "alert";
  case Action::WouldBlock: return "would-block";
  case Action::Blocked: return "blocked";
  case Action::Allowlisted: return "allowlisted";
  case Action::BlockRefused: return "block-refused";
  }
  return "alert";
}

Detection &DetectionLog::record(const Detection &detection) {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->id == detection.id) {
      *it = detection;
      return *it;
    }
  }
  if (entries_.size() >= capacity_) {
    entries_.pop_front();
    ++dropped_;
  }
  entries_.push_back(detection);
  return entries_.back();
}

const Detection *DetectionLog::find(const std::string &id) const {
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
    if (it->id == id)
      return &*it;
  return nullptr;
}

} // namespace minewatch::judge
