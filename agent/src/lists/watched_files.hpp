// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace minewatch::lists {

/// The files behind a list of configured paths: a path to a file is itself,
/// a directory stands for every non-hidden regular file in it, in name order.
/// Hidden names are skipped because a Kubernetes ConfigMap volume keeps its
/// machinery there (..data, ..2026_11_23_...), next to one link per key.
struct ExpandedPaths {
  std::vector<std::string> files;
  std::vector<std::string> errors; // "PATH: cannot read (No such file or directory)"
  /// Entries of a listed directory that look like list files but cannot be
  /// one: a dangling link, a link loop, something not a regular file.
  /// Skipped and reported ("DIR/NAME: skipped: a dangling link"); the rest
  /// of the directory still counts, so these never make it unreadable.
  std::vector<std::string> skipped;
};
ExpandedPaths expandPaths(const std::vector<std::string> &paths);

/// A file's text, or an error in `error`.
bool readText(const std::string &path, std::string &text, std::string &error);

/// What the configured paths hold right now, as one number: names and
/// contents of every file. Equal fingerprints, nothing to reload.
std::uint64_t fingerprint(const std::vector<std::string> &paths);

} // namespace minewatch::lists
