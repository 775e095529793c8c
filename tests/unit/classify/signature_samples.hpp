// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "classify/facts.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace minewatch::test {

/// A hand-written message of shared/signatures.md (or a hard negative) and
/// what the classifier must make of it, whole or cut to 256 bytes.
struct SignatureSample {
  std::string name;
  std::string text; ///< compact JSON, newline-terminated as sent
  bool from_server = false;
  classify::Protocol protocol = classify::Protocol::Unknown;
  bool mining = false;
  std::string method; ///< expected first method, if any
  std::string agent;  ///< expected agent prefix, if any
};

const std::vector<SignatureSample> &miningSamples();
const std::vector<SignatureSample> &benignSamples();

/// The same JSON with a space after every ':' and ',' outside strings
/// (cpuminer's and Python json.dumps' style).
std::string spaced(std::string_view compact);

} // namespace minewatch::test
