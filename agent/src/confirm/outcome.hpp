// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstdint>
#include <string_view>

namespace minewatch::confirm {

/// What a probe concluded about a server: the prober's answer, and the
/// result the confirmer keeps and shows.
enum class Outcome : std::uint8_t {
  Confirmed, ///< it answered a dialect as a pool does (a job, or a pool's refusal of the login)
  Refuted,   ///< it answered, and not as a pool: HTTP, TLS failure, garbage, silence, resets
  Failed,    ///< it could not be asked (refused, unreachable, connect timeout, a local
             ///< error): nothing learnt, worth a retry later
};

std::string_view toString(Outcome outcome); // "confirmed" | "refuted" | "failed"

} // namespace minewatch::confirm
