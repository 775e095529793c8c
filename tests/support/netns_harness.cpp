// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "netns_harness.hpp"

#include "process_util.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <system_error>

namespace minewatch::test {

std::string sh(const std::string &command) {
  auto r = runCommand(command, true);
  if (r.status != 0)
    throw std::runtime_error("command failed (" + std::to_string(r.status) + "): " + command + "\n" + r.out);
  return r.out;
}

VethLab::VethLab() {
  static int serial = 0;
  auto tag = std::to_string(::getpid());
  node = "mwt-node-" + tag + "-" + std::to_string(serial);
  peer = "mwt-peer-" + tag + "-" + std::to_string(serial++);
  // Devices live inside the namespaces only: unique enough by pid.
  nodeIf = "mwn" + tag;
  peerIf = "mwp" + tag;
  try {
    sh("ip netns add " + node);
    sh("ip netns add " + peer);
    sh("ip -n " + node + " link add " + nodeIf + " type veth peer name " + peerIf + " netns " + peer);
    struct End {
      std::string ns, dev, address;
    };
    for (const auto &[ns, dev, address] : {End{node, nodeIf, kNodeAddr}, End{peer, peerIf, kPeerAddr}}) {
      sh(in(ns) + "sysctl -qw net.ipv6.conf.all.disable_ipv6=1");
      sh(in(ns) + "sysctl -qw net.ipv6.conf.default.disable_ipv6=1");
      sh("ip -n " + ns + " addr add " + address + "/24 dev " + dev);
      sh("ip -n " + ns + " link set " + dev + " up");
      sh("ip -n " + ns + " link set lo up");
    }
    // Permanent neighbours: no ARP traffic racing the test's own packets.
    auto mac = [&](const std::string &ns, const std::string &dev) {
      return sh(in(ns) + "cat /sys/class/net/" + dev + "/address").substr(0, 17);
    };
    sh("ip -n " + node + " neigh replace " + kPeerAddr + " lladdr " + mac(peer, peerIf) + " dev " + nodeIf +
       " nud permanent");
    sh("ip -n " + peer + " neigh replace " + kNodeAddr + " lladdr " + mac(node, nodeIf) + " dev " + peerIf +
       " nud permanent");
  } catch (...) {
    teardown();
    throw;
  }
}

VethLab::~VethLab() { teardown(); }

bool VethLab::listening(const std::string &ns, int port) const {
  return sh(in(ns) + "ss -Hltn sport = :" + std::to_string(port)).find("LISTEN") != std::string::npos;
}

void VethLab::teardown() noexcept {
  for (const auto &ns : {node, peer}) {
    // Processes left in a namespace would keep it alive: end them first.
    int rc = std::system(("ip netns pids " + ns + " 2>/dev/null | xargs -r kill -9 2>/dev/null").c_str());
    rc = std::system(("ip netns del " + ns + " 2>/dev/null").c_str());
    (void)rc; // best effort: the namespace may never have been made
  }
}

NetnsScope::NetnsScope(const std::string &name) {
  original_ = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int target = ::open(("/var/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (original_ < 0 || target < 0)
    throw std::system_error(errno, std::generic_category(), "open netns " + name);
  int rc = ::setns(target, CLONE_NEWNET);
  int err = errno;
  ::close(target);
  if (rc != 0)
    throw std::system_error(err, std::generic_category(), "setns " + name);
}

NetnsScope::~NetnsScope() {
  if (original_ >= 0) {
    ::setns(original_, CLONE_NEWNET);
    ::close(original_);
  }
}

ChildProcess::ChildProcess(const std::vector<std::string> &argv) {
  std::vector<char *> args;
  for (const auto &a : argv)
    args.push_back(const_cast<char *>(a.c_str()));
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::system_error(errno, std::generic_category(), "fork " + argv.front());
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
}

int ChildProcess::stop(int grace_ms) {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  for (int waited = 0; waited < grace_ms; waited += 20) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    ::usleep(20'000);
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return 128 + SIGKILL;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

} // namespace minewatch::test
