// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "lists/watched_files.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace minewatch::lists {

namespace fs = std::filesystem;

ExpandedPaths expandPaths(const std::vector<std::string> &paths) {
  ExpandedPaths out;
  for (const auto &path : paths) {
    std::error_code ec;
    auto status = fs::status(path, ec); // follows links: ConfigMap keys are links
    if (ec || !fs::exists(status)) {
      out.errors.push_back(path + ": cannot read (" + (ec ? ec.message() : "No such file or directory") + ")");
      continue;
    }
    if (!fs::is_directory(status)) {
      out.files.push_back(path);
      continue;
    }
    std::vector<std::string> inside;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      auto name = it->path().filename().string();
      if (name.empty() || name[0] == '.')
        continue;
      std::error_code file_ec;
      auto entry = fs::status(it->path(), file_ec); // follows links, as the reader will
      if (!file_ec && fs::is_regular_file(entry)) {
        inside.push_back(it->path().string());
        continue;
      }
      std::error_code link_ec;
      bool link = fs::is_symlink(fs::symlink_status(it->path(), link_ec));
      std::string why = file_ec == std::errc::too_many_symbolic_link_levels ? "a link loop"
                        : link && (file_ec || !fs::exists(entry))           ? "a dangling link"
                        : file_ec                                           ? file_ec.message()
                        : fs::is_directory(entry) ? "a directory (lists are not read recursively)"
                                                  : "not a regular file";
      out.skipped.push_back(it->path().string() + ": skipped: " + why);
    }
    if (ec)
      out.errors.push_back(path + ": cannot list (" + ec.message() + ")");
    std::sort(inside.begin(), inside.end());
    out.files.insert(out.files.end(), inside.begin(), inside.end());
  }
  return out;
}

bool readText(const std::string &path, std::string &text, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read (" + std::strerror(errno) + ")";
    return false;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

std::uint64_t fingerprint(const std::vector<std::string> &paths) {
  // FNV-1a over "name\0content\0" of each file, errors included, so a file
  // that appears, vanishes or changes by one byte changes the result.
  std::uint64_t hash = 14695981039346656037ull;
  auto mix = [&](std::string_view bytes) {
    for (unsigned char c : bytes)
      hash = (hash ^ c) * 1099511628211ull;
    hash = (hash ^ 0xff) * 1099511628211ull;
  };
  auto expanded = expandPaths(paths);
  for (const auto &error : expanded.errors)
    mix(error);
  for (const auto &skipped : expanded.skipped)
    mix(skipped);
  for (const auto &file : expanded.files) {
    std::string text, error;
    mix(file);
    mix(readText(file, text, error) ? text : error);
  }
  return hash;
}

} // namespace minewatch::lists
