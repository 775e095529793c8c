// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "control/control_client.hpp"

#include "bpf/unique_fd.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace minewatch::control {

namespace {
[[noreturn]] void connectFailed(const std::string &path, int err) {
  switch (err) {
  case ENOENT:
  case ECONNREFUSED:
    throw ControlError("the agent is not running (no one listens on " + path + ")");
  case EACCES:
  case EPERM:
    throw ControlError("permission denied on " + path + " (run as root or as a member of its group)");
  default:
    throw ControlError("cannot connect to " + path + ": " + std::strerror(err));
  }
}
} // namespace

nlohmann::json request(const std::string &socket_path, const nlohmann::json &req, int timeout_ms) {
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

  std::string line = req.dump() + "\n";
  if (::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()))
    throw ControlError(std::string("the agent hung up: ") + std::strerror(errno));

  std::string answer;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (answer.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1)
      throw ControlError("the agent did not answer within " + std::to_string(timeout_ms) + " ms");
    char buf[65536];
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0)
      throw ControlError("the agent closed the connection without answering");
    answer.append(buf, static_cast<std::size_t>(n));
  }
  nlohmann::json reply;
  try {
    reply = nlohmann::json::parse(answer.substr(0, answer.find('\n')));
  } catch (const nlohmann::json::exception &) {
    throw ControlError("the agent answered something that is not JSON");
  }
  if (!reply.value("ok", false))
    throw ControlError(reply.value("error", std::string("the agent refused the request")));
  return reply.contains("data") ? reply["data"] : nlohmann::json();
}

} // namespace minewatch::control
