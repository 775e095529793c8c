// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace minewatch::control {

/// Why a request could not be answered, in one operator-facing sentence.
struct ControlError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Sends one request line to the agent's socket and returns the answer's
/// "data". Throws ControlError when the agent is not running, the socket is
/// not ours to use, the agent goes quiet, or the agent says no.
/// `idle_timeout_ms` bounds each wait for bytes, not the whole answer: a
/// long answer that keeps coming is read to its end.
nlohmann::json request(const std::string &socket_path, const nlohmann::json &req, int idle_timeout_ms = 5000);

} // namespace minewatch::control
