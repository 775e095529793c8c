// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "process_util.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

namespace minewatch::test {

CommandResult runCommand(const std::string &command, bool merge_stderr) {
  static int serial = 0;
  auto err_path = "/tmp/minewatch-test-" + std::to_string(::getpid()) + "-" + std::to_string(serial++) + ".err";
  std::string full = command + (merge_stderr ? " 2>&1" : " 2>" + err_path);
  FILE *pipe = ::popen(full.c_str(), "r");
  if (!pipe)
    throw std::system_error(errno, std::generic_category(), "popen " + command);
  CommandResult result;
  std::array<char, 4096> buf{};
  while (auto n = std::fread(buf.data(), 1, buf.size(), pipe))
    result.out.append(buf.data(), n);
  int status = ::pclose(pipe);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (!merge_stderr) {
    std::ifstream in(err_path);
    std::stringstream err;
    err << in.rdbuf();
    result.err = err.str();
    ::unlink(err_path.c_str());
  }
  return result;
}

} // namespace minewatch::test
