// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "util/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace minewatch::util {

namespace {
[[noreturn]] void fail(const std::string &what) { throw std::system_error(errno, std::generic_category(), what); }

void writeAll(int fd, const std::string &text, const std::string &path) {
  std::size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      fail("write " + path);
    done += static_cast<std::size_t>(n);
  }
}
} // namespace

void writeFileDurably(const std::string &path, const std::string &text) {
  namespace fs = std::filesystem;
  auto dir = fs::path(path).parent_path();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw std::system_error(ec, "create " + dir.string());
  auto tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    fail("create " + tmp);
  try {
    writeAll(fd, text, tmp);
    if (::fsync(fd) != 0)
      fail("fsync " + tmp);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    fail("rename " + tmp + " to " + path);
  // The rename is durable only once the directory entry is.
  int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

std::optional<std::string> readWholeFile(const std::string &path, std::string &error) {
  error.clear();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno != ENOENT)
      error = path + " cannot be read (" + std::generic_category().message(errno) + ")";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace minewatch::util
