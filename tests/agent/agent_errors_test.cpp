// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// minewatch-agent refuses what it cannot do with one clear line and a
// non-zero status: no interface, a missing one, no privileges, a bad config,
// a file that is not a capture, a control socket another agent serves.
#define BOOST_TEST_MODULE minewatch_agent_errors
#include <boost/test/unit_test.hpp>

#include "control/unix_server.hpp"
#include "netns_harness.hpp"
#include "process_util.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace {
const std::string kAgent = MINEWATCH_AGENT_BIN;

using minewatch::test::CommandResult;

/// stdout and stderr together: the refusal must be the only line of either.
CommandResult run(const std::string &command) { return minewatch::test::runCommand(command, true); }

void refused(const CommandResult &r, int status, const std::string &words) {
  BOOST_TEST(r.status == status, r.out);
  BOOST_TEST(std::count(r.out.begin(), r.out.end(), '\n') == 1, r.out);
  BOOST_TEST(r.out.rfind("minewatch-agent: ", 0) == 0u, r.out);
  BOOST_TEST(r.out.find(words) != std::string::npos, r.out);
}

std::string temp(const std::string &name, const std::string &content) {
  auto path = "/tmp/minewatch-errors-" + std::to_string(::getpid()) + "-" + name;
  std::ofstream(path) << content;
  return path;
}
} // namespace

BOOST_AUTO_TEST_CASE(no_interface_given) { refused(run(kAgent), 2, "no interface"); }

BOOST_AUTO_TEST_CASE(interface_missing) {
  refused(run(kAgent + " --iface mw-no-such0 --socket /tmp/mw-err.sock"), 1, "interface 'mw-no-such0' does not exist");
}

BOOST_AUTO_TEST_CASE(no_privileges) {
  refused(run("setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all " + kAgent + " --iface lo"), 1,
          "needs CAP_BPF");
}

BOOST_AUTO_TEST_CASE(bad_config_names_file_line_and_key) {
  auto path = temp("bad.yaml", "agent:\n  tick_ms: 1\n");
  refused(run(kAgent + " --iface lo --config " + path), 2, path + ":2: agent.tick_ms: 1 is out of range");
  ::unlink(path.c_str());
}

BOOST_AUTO_TEST_CASE(bad_arguments) {
  refused(run(kAgent + " --mode turbo --iface lo"), 2, "--mode");
  refused(run(kAgent + " --config /nonexistent.yaml"), 2, "/nonexistent.yaml");
  refused(run(kAgent + " --replay /nonexistent.pcap"), 2, "/nonexistent.pcap");
}

BOOST_AUTO_TEST_CASE(replay_of_something_that_is_not_a_capture) {
  auto path = temp("not.pcap", "this is not a capture\n");
  refused(run(kAgent + " --replay " + path), 1, "cannot read capture");
  ::unlink(path.c_str());
}

std::string readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// A pcapng block: type, length, body padded to 32 bits, length again.
std::string pcapngBlock(std::uint32_t type, std::string body) {
  body.resize((body.size() + 3) / 4 * 4, '\0');
  auto length = static_cast<std::uint32_t>(body.size() + 12);
  std::string out(reinterpret_cast<const char *>(&type), 4);
  out.append(reinterpret_cast<const char *>(&length), 4);
  out += body;
  out.append(reinterpret_cast<const char *>(&length), 4);
  return out;
}

// A capture that stops making sense part way (cut short by a full disk or a
// killed tcpdump; or a pcapng whose second interface has another link type,
// as mergecap makes) is reported for what was read, then warned about, with
// exit status 3, where it used to be exit 1 with nothing.
BOOST_AUTO_TEST_CASE(a_capture_read_only_in_part_reports_what_was_read_then_warns) {
  auto whole = readBytes(std::string(MINEWATCH_PCAP_DIR) + "/ndpi_mining.pcapng");
  BOOST_REQUIRE(whole.size() > 1000);
  std::uint16_t raw_ip = 101;
  std::string second_interface(reinterpret_cast<const char *>(&raw_ip), 2);
  second_interface += std::string(6, '\0'); // reserved, snap length 0 (none)
  struct Case {
    const char *what, *file;
    std::string bytes;
  };
  const Case cases[] = {
      {"cut short by 5 bytes", "cut.pcapng", whole.substr(0, whole.size() - 5)},
      {"a second interface of another link type", "merged.pcapng", whole + pcapngBlock(1, second_interface)},
  };
  for (const auto &c : cases) {
    auto path = temp(c.file, c.bytes);
    auto r = run(kAgent + " --replay " + path);
    BOOST_TEST(r.status == 3, c.what << ": " << r.out);
    BOOST_TEST(r.out.find("mining") != std::string::npos, c.what << ": " << r.out); // the report came first
    BOOST_TEST(r.out.find("minewatch-agent: warning: capture " + path + " stops making sense after") !=
                   std::string::npos,
               c.what << ": " << r.out);
    std::filesystem::remove(path);
  }
}

BOOST_AUTO_TEST_CASE(a_second_agent_stops_before_it_touches_the_interface) {
  // Started by mistake beside a running agent, it must say so and leave the
  // interface alone: attaching first would replace the running agent's
  // programs for as long as it ran. The refusal being its only line is the
  // check: an agent that attached first says so (and which mode) before.
  minewatch::test::VethLab lab;
  auto tag = std::to_string(::getpid());
  auto socket = "/tmp/minewatch-errors-" + tag + ".sock";
  auto pins = "/sys/fs/bpf/minewatch-errors-" + tag;
  auto config = temp("second.yaml", "pin_root: " + pins + "\nsocket: " + socket + "\n");
  minewatch::test::RemovedAtEnd cleanup{{pins, config}};
  // The running agent, as far as the socket shows: something serves it.
  minewatch::control::UnixServer running(
      socket, [](std::string_view, const minewatch::control::Peer &) { return std::string("{}"); });

  auto r = run(lab.in(lab.node) + kAgent + " --iface " + lab.nodeIf + " --config " + config);
  refused(r, 1, "another agent already serves " + socket);
  BOOST_TEST(r.out.find("agent_started") == std::string::npos, r.out);
  BOOST_TEST(!std::filesystem::exists(pins));
  auto link = minewatch::test::runCommand("ip -n " + lab.node + " link show " + lab.nodeIf);
  BOOST_TEST(link.out.find("xdp") == std::string::npos, link.out);
}
