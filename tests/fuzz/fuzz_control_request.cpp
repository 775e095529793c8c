// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The control socket's request parser on any line: a request is typed or
// refused with one std::invalid_argument, and the refusal (which may echo
// what was sent) always dumps as one line of valid JSON.
#include "control/request.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string_view line(reinterpret_cast<const char *>(data), size);
  std::string answer;
  try {
    auto request = minewatch::control::parseRequest(line);
    answer = minewatch::control::answerOk({{"target", request.target}, {"flow", request.flow}});
  } catch (const std::invalid_argument &e) {
    answer = minewatch::control::answerError(e.what());
  }
  if (answer.find('\n') != std::string::npos || !nlohmann::json::accept(answer))
    std::abort(); // an answer is exactly one line of JSON
  return 0;
}
