// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "bpf/unique_fd.hpp"

#include <sys/types.h>

#include <optional>
#include <string>

namespace minewatch::control {

/// Modes set explicitly after creation, so the umask never widens them.
inline constexpr mode_t kSocketMode = 0660;
inline constexpr mode_t kSocketDirMode = 0750;

/// Makes the listening control socket at `path`, non-blocking:
///  - missing directories are created 0750 (group `group`, if given);
///    directories that exist are left as they are;
///  - a stale socket file (nobody listens) is replaced; a live one, or
///    anything that is not a socket, is refused with the path named;
///  - the socket ends up 0660, owned by `group` when given.
/// Throws std::runtime_error (one sentence) on any of it.
bpf::UniqueFd bindControlSocket(const std::string &path, std::optional<gid_t> group);

} // namespace minewatch::control
