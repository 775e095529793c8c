// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "actions/rule_book.hpp"
#include "confirm/confirmation.hpp"
#include "judge/detection_log.hpp"
#include "detect/behaviour_detector.hpp"
#include "detect/flow_features.hpp"
#include "util/time_format.hpp"

#include <nlohmann/json.hpp>

namespace minewatch::api {

/// {"src","dst","sport","dport","proto"}: client first, as the CLI contract says.
nlohmann::json flowJson(const judge::FlowRoles &roles);
/// One entry of `detections` (the CLI contract's fields exactly, plus id).
nlohmann::json detectionJson(const judge::Detection &detection);
/// An endpoint's confirmation: the probe's result and exchange.
nlohmann::json confirmationJson(const confirm::Confirmation &confirmation);
nlohmann::json featuresJson(const detect::FlowFeatures &features);
nlohmann::json behaviourJson(const detect::BehaviourReport &report);
nlohmann::json ruleJson(const actions::BlockRule &rule, std::uint64_t now_ns, const util::TimeBase &time_base);
const char *protoName(std::uint8_t proto);

} // namespace minewatch::api
