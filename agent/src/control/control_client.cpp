// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "control/control_client.hpp"

#include "bpf/unique_fd.hpp"
#include "control/request.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace minewatch::control {

namespace {
/// An error the agent sends may echo what the user typed; control
/// characters in it would make it more than one line on a terminal.
std::string oneLine(std::string text) {
  for (auto &ch : text)
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f)
      ch = '?';
  return text;
}

[[noreturn]] void connectFailed(const std::string &path, int err) {
  switch (err) {
  case ENOENT:
  case ECONNREFUSED: throw ControlError("the agent is not running (no one listens on " + path + ")");
  case EACCES:
  case EPERM: throw ControlError("permission denied on " + path + " (run as root or as a member of its group)");
  default: throw ControlError("cannot connect to " + path + ": " + std::strerror(err));
  }
}
} // namespace

nlohmann::json request(const std::string &socket_path, const nlohmann::json &req, int idle_timeout_ms) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof sa.sun_path)
    throw ControlError("socket path too long: " + socket_path);
  std::memcpy(sa.sun_path, socket_path.c_str(), socket_path.size() + 1);
  bpf::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    throw ControlError(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<sockaddr *>(&sa), sizeof sa) != 0)
    connectFailed(socket_path, errno);

  // An argument with bad UTF-8 (`explain $'\xff'`) is sent as U+FFFD; the
  // agent then names what it could not find.
  std::string line = dumpJson(req) + "\n";
  if (::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()))
    throw ControlError(std::string("the agent hung up: ") + std::strerror(errno));

  std::string answer;
  std::size_t newline = std::string::npos;
  while (newline == std::string::npos) {
    pollfd p{fd.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, idle_timeout_ms);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready != 1)
      throw ControlError("the agent sent nothing for " + std::to_string(idle_timeout_ms) + " ms");
    char buf[65536];
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0)
      throw ControlError("the agent closed the connection without answering");
    // Only the new bytes are searched: a 200 MB answer is read in linear time.
    auto searched = answer.size();
    answer.append(buf, static_cast<std::size_t>(n));
    newline = answer.find('\n', searched);
  }
  answer.resize(newline);
  nlohmann::json reply;
  try {
    reply = nlohmann::json::parse(answer);
  } catch (const nlohmann::json::exception &) {
    throw ControlError("the agent answered something that is not JSON");
  }
  std::string().swap(answer);
  if (!reply.is_object())
    throw ControlError("the agent answered something that is not a JSON object");
  if (!reply.value("ok", false)) {
    auto error = reply.find("error");
    throw ControlError(oneLine(error != reply.end() && error->is_string() ? error->get<std::string>()
                                                                          : "the agent refused the request"));
  }
  return reply.contains("data") ? std::move(reply["data"]) : nlohmann::json();
}

} // namespace minewatch::control
