// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The YAML config loader on any text: a config is accepted or refused with
// a ConfigError (file, line, key), never a yaml-cpp exception or a crash.
#include "config/agent_config.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  try {
    (void)minewatch::config::parseConfig(text, "fuzz.yaml");
  } catch (const minewatch::config::ConfigError &) {
  }
  return 0;
}
