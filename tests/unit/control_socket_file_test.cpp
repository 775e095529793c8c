// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The control socket on disk: explicit modes whatever the umask, and a path
// that holds something else is refused, never deleted.
#include "control/socket_file.hpp"

#include <boost/test/unit_test.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using minewatch::control::bindControlSocket;

namespace {
/// A fresh directory, removed with everything in it at the end.
struct TempDir {
  fs::path path = fs::temp_directory_path() / ("mw-sockfile-" + std::to_string(::getpid()));
  TempDir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

/// Runs the body with the umask set, restoring it after.
struct Umask {
  mode_t old;
  explicit Umask(mode_t mask) : old(::umask(mask)) {}
  ~Umask() { ::umask(old); }
};

mode_t modeOf(const fs::path &p) {
  struct stat st {};
  BOOST_REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::string refusal(const std::string &path) {
  try {
    bindControlSocket(path, std::nullopt);
  } catch (const std::runtime_error &e) {
    return e.what();
  }
  return "";
}

/// A socket file with no one listening: what a killed agent leaves.
void leaveStaleSocket(const std::string &path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, path.c_str(), sizeof sa.sun_path - 1);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) == 0);
  ::close(fd);
}
} // namespace

BOOST_AUTO_TEST_SUITE(control_socket_file)

BOOST_AUTO_TEST_CASE(a_regular_file_is_refused_and_kept) {
  TempDir dir;
  auto path = (dir.path / "precious").string();
  std::ofstream(path) << "keep me\n";
  auto why = refusal(path);
  BOOST_TEST(why.find(path) != std::string::npos, why);
  BOOST_TEST(why.find("not a socket") != std::string::npos, why);
  std::string content;
  std::getline(std::ifstream(path), content);
  BOOST_TEST(content == "keep me");
}

BOOST_AUTO_TEST_CASE(a_directory_or_a_link_is_refused) {
  TempDir dir;
  fs::create_directory(dir.path / "d");
  BOOST_TEST(refusal((dir.path / "d").string()).find("not a socket") != std::string::npos);
  std::ofstream(dir.path / "target") << "x";
  fs::create_symlink(dir.path / "target", dir.path / "link");
  BOOST_TEST(refusal((dir.path / "link").string()).find("not a socket") != std::string::npos);
  BOOST_TEST(fs::exists(dir.path / "target"));
}

BOOST_AUTO_TEST_CASE(a_stale_socket_is_replaced_a_live_one_refused) {
  TempDir dir;
  auto path = (dir.path / "sock").string();
  leaveStaleSocket(path);
  auto live = bindControlSocket(path, std::nullopt);
  BOOST_TEST(live.valid());
  BOOST_TEST(refusal(path).find("another agent already serves") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(modes_are_explicit_whatever_the_umask) {
  TempDir dir;
  ::chmod(dir.path.c_str(), 0711);
  for (mode_t mask : {mode_t{0}, mode_t{077}}) {
    Umask umask(mask);
    auto sub = dir.path / ("m" + std::to_string(mask));
    auto path = (sub / "run" / "sock").string();
    auto fd = bindControlSocket(path, std::nullopt);
    BOOST_TEST(modeOf(sub) == 0750u, "umask " << mask);
    BOOST_TEST(modeOf(sub / "run") == 0750u, "umask " << mask);
    BOOST_TEST(modeOf(path) == 0660u, "umask " << mask);
  }
  BOOST_TEST(modeOf(dir.path) == 0711u); // a directory that was there is not ours to change
}

BOOST_AUTO_TEST_SUITE_END()
