// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

// The C++ tests' network namespaces (tests/support/netns_harness.py is the
// Python tests'): a veth pair between two namespaces made and deleted by
// one test, a thread moved into a namespace, a process killed with its
// test.
namespace minewatch::test {

/// Runs a shell command; throws with its output when it fails.
std::string sh(const std::string &command);

/// Two network namespaces joined by a veth pair, created for one test and
/// deleted (with every process left in them) when it ends. Names carry the
/// process id and a serial, so neither two runs nor two labs collide:
///   node  ns: device `nodeIf`, 10.77.0.1/24 — where the sensor attaches
///   peer  ns: device `peerIf`, 10.77.0.2/24
/// IPv6 is off on both ends so nothing but the test's own traffic flows.
class VethLab {
public:
  VethLab();
  VethLab(const VethLab &) = delete;
  VethLab &operator=(const VethLab &) = delete;
  ~VethLab();

  std::string node, peer;     // namespace names
  std::string nodeIf, peerIf; // device names
  static constexpr const char *kNodeAddr = "10.77.0.1";
  static constexpr const char *kPeerAddr = "10.77.0.2";

  /// "ip netns exec <ns> " prefix for commands.
  [[nodiscard]] std::string in(const std::string &ns) const { return "ip netns exec " + ns + " "; }

  /// Whether a TCP socket in ns listens on port (asked with ss, so no
  /// probe connection adds a flow a test counts).
  [[nodiscard]] bool listening(const std::string &ns, int port) const;

private:
  void teardown() noexcept;
};

/// Moves the calling thread into a named network namespace for its lifetime.
class NetnsScope {
public:
  explicit NetnsScope(const std::string &name);
  NetnsScope(const NetnsScope &) = delete;
  NetnsScope &operator=(const NetnsScope &) = delete;
  ~NetnsScope();

private:
  int original_ = -1;
};

/// A background process, killed (and reaped) on destruction.
class ChildProcess {
public:
  explicit ChildProcess(const std::vector<std::string> &argv);
  ChildProcess(const ChildProcess &) = delete;
  ChildProcess &operator=(const ChildProcess &) = delete;
  ~ChildProcess();

  /// SIGTERM, then up to `grace_ms` for it to exit (SIGKILL after that).
  /// Returns the exit status, or 128 + signal when it was killed.
  int stop(int grace_ms);

private:
  pid_t pid_ = -1;
};

} // namespace minewatch::test
