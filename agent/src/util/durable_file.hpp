// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <optional>
#include <string>

namespace minewatch::util {

/// Writes `text` to `path` so that a crash leaves the old file or the new
/// one, never half of either: a temp file beside it, fsync, rename, fsync
/// of the directory. Creates the directory. Throws std::system_error.
void writeFileDurably(const std::string &path, const std::string &text);

/// The whole file at `path`; nullopt when there is none (`error` empty) or
/// it cannot be read (`error` says why).
std::optional<std::string> readWholeFile(const std::string &path, std::string &error);

} // namespace minewatch::util
