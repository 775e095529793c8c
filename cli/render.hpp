// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "format.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace minewatch::cli {

// Each turns the agent's JSON answer into what a person reads. Pure
// functions of their input, so the golden tests pin them down exactly.
std::string renderStatus(const nlohmann::json &status, const Style &style);
std::string renderFlows(const nlohmann::json &flows, const Style &style);
std::string renderDetections(const nlohmann::json &detections, const Style &style);
std::string renderConfirmations(const nlohmann::json &confirmations, const Style &style);
std::string renderExplain(const nlohmann::json &explain, const Style &style);
std::string renderBlocks(const nlohmann::json &rules, const Style &style);
std::string renderAllows(const nlohmann::json &rules, const Style &style);

/// "tcp 10.0.0.1:5000 -> 10.0.0.2:3333" from a contract `flow` object.
std::string flowText(const nlohmann::json &flow);
/// Labels of histogram buckets, as the ABI defines them.
std::string sizeBucketLabel(unsigned bucket);
std::string gapBucketLabel(unsigned bucket);

} // namespace minewatch::cli
