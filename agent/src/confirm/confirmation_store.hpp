// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "confirm/confirmation.hpp"

#include <string>
#include <vector>

namespace minewatch::confirm {

/// The confirmer's results as saved between agent runs, beside the rule
/// book (<state_dir>/<interface>/confirmations.json): a confirmed pool is
/// known at once after a restart, a refuted server is not asked again.
std::string toJson(const std::vector<Confirmation> &confirmations);
/// Throws std::invalid_argument when `text` is not such a file; entries
/// whose endpoint or result does not parse are skipped.
std::vector<Confirmation> parseConfirmations(const std::string &text);

/// Durable write (util::writeFileDurably). Throws std::system_error.
void saveConfirmations(const std::string &path, const std::vector<Confirmation> &confirmations);
/// The saved results; empty when there are none (warning empty) or the file
/// cannot be read or parsed (warning says why, in one line).
std::vector<Confirmation> loadConfirmations(const std::string &path, std::string &warning);

} // namespace minewatch::confirm
