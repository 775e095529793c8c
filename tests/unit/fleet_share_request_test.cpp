// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// fleet_share's request, built without a network: the PATCH is the one
// fleet-patch prints; credentials come from the mounted files (a trailing
// newline is not part of the token) and the API server from the config or
// the pod's environment; plain http is refused; the config keys and what
// --requirements says about API access.
#include "app/requirements.hpp"
#include "config/agent_config.hpp"
#include "fleet/configmap_patcher.hpp"
#include "fleet/fleet_patch.hpp"
#include "fleet/patch_request.hpp"

#include <boost/test/unit_test.hpp>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace minewatch;

namespace {
struct SaDir {
  std::string dir = "/tmp/minewatch-sa-" + std::to_string(::getpid());
  SaDir() {
    fs::create_directories(dir);
    std::ofstream(dir + "/token") << "tok-123\n";
    std::ofstream(dir + "/ca.crt") << "-----BEGIN CERTIFICATE-----\n";
    std::ofstream(dir + "/namespace") << "minewatch";
  }
  ~SaDir() { fs::remove_all(dir); }
};

bool throwsWith(const std::function<void()> &f, const std::string &text) {
  try {
    f();
  } catch (const std::exception &e) {
    return std::string(e.what()).find(text) != std::string::npos;
  }
  return false;
}
} // namespace

BOOST_AUTO_TEST_SUITE(fleet_share_request)

BOOST_AUTO_TEST_CASE(the_patch_is_fleet_patchs_merge_patch_on_the_one_configmap) {
  fleet::ApiAccess access{"10.96.0.1", 443, "tok-123", "/x/ca.crt", "mw"};
  auto r = fleet::patchRequest(access, "minewatch-blocklist", "198.51.100.7:3333/tcp", "mining on node-a: \"XMRig\"");
  BOOST_TEST(r.method == "PATCH");
  BOOST_TEST(r.path == "/api/v1/namespaces/mw/configmaps/minewatch-blocklist");
  BOOST_TEST(r.content_type == "application/merge-patch+json");
  BOOST_TEST(r.authorization == "Bearer tok-123");
  auto printed =
      fleet::fleetPatch("198.51.100.7:3333/tcp", "mining on node-a: \"XMRig\"", {"mw", "minewatch-blocklist"});
  BOOST_TEST(nlohmann::json::parse(r.body) == printed["patch"]);
  BOOST_TEST(r.body == R"({"data":{"198.51.100.7_3333_tcp":"198.51.100.7:3333/tcp  # mining on node-a: \"XMRig\""}})");
}

BOOST_AUTO_TEST_CASE(credentials_come_from_the_mounted_files) {
  SaDir sa;
  auto access = fleet::loadApiAccess("https://127.0.0.1:6443", sa.dir);
  BOOST_TEST(access.host == "127.0.0.1");
  BOOST_TEST(access.port == 6443);
  BOOST_TEST(access.token == "tok-123");
  BOOST_TEST(access.ca_file == sa.dir + "/ca.crt");
  BOOST_TEST(access.namespace_name == "minewatch");

  fs::remove(sa.dir + "/token");
  BOOST_TEST(throwsWith([&] { fleet::loadApiAccess("https://127.0.0.1:6443", sa.dir); }, "service-account token"));
}

BOOST_AUTO_TEST_CASE(the_api_server_comes_from_the_pods_environment_unless_configured) {
  SaDir sa;
  ::setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto access = fleet::loadApiAccess("", sa.dir);
  BOOST_TEST(access.host == "fd00::1");
  BOOST_TEST(access.port == 443);
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  BOOST_TEST(throwsWith([&] { fleet::loadApiAccess("", sa.dir); }, "KUBERNETES_SERVICE_HOST"));
  ::unsetenv("KUBERNETES_SERVICE_PORT");
}

BOOST_AUTO_TEST_CASE(api_urls) {
  std::string host, why;
  std::uint16_t port = 0;
  BOOST_TEST(fleet::parseApiUrl("https://[::1]:6443", host, port));
  BOOST_TEST(host == "::1");
  BOOST_TEST(port == 6443);
  BOOST_TEST(fleet::parseApiUrl("https://kubernetes.default.svc/", host, port));
  BOOST_TEST(host == "kubernetes.default.svc");
  BOOST_TEST(port == 443);
  BOOST_TEST(!fleet::parseApiUrl("http://127.0.0.1:8080", host, port, &why));
  BOOST_TEST(why.find("token") != std::string::npos);
  BOOST_TEST(!fleet::parseApiUrl("https://127.0.0.1:0", host, port));
  BOOST_TEST(!fleet::parseApiUrl("https://127.0.0.1:6443/api", host, port));
  BOOST_TEST(!fleet::parseApiUrl("https://", host, port));
}

BOOST_AUTO_TEST_CASE(config_keys_and_requirements) {
  auto off = config::parseConfig("actions:\n  autoblock: on\n", "t.yaml");
  BOOST_TEST(!off.fleet_share); // default off
  BOOST_TEST(app::requirements(off, "t.yaml")["api_access"].is_null());

  auto on = config::parseConfig("actions:\n  fleet_share: on\n  fleet_share_api: https://127.0.0.1:6443\n", "t.yaml");
  BOOST_TEST(on.fleet_share);
  BOOST_TEST(on.fleet_share_api == "https://127.0.0.1:6443");
  auto api = app::requirements(on, "t.yaml")["api_access"];
  BOOST_TEST(api["service_account_token"] == "/var/run/secrets/kubernetes.io/serviceaccount");
  BOOST_TEST(api["rules"] == nlohmann::json::parse(R"([{"apiGroups":[""],"resources":["configmaps"],
      "resourceNames":["minewatch-blocklist"],"verbs":["patch"]}])"));

  BOOST_TEST(throwsWith([] { config::parseConfig("actions:\n  fleet_share_api: http://10.0.0.1\n", "t.yaml"); },
                        "t.yaml:2: actions.fleet_share_api"));
  BOOST_TEST(throwsWith([] { config::parseConfig("actions:\n  fleet_share: maybe\n", "t.yaml"); }, "off, on"));
}

BOOST_AUTO_TEST_CASE(a_rule_queued_or_sent_is_not_queued_again) {
  // No credentials: every attempt fails before the network, and the first
  // backoff (an hour) keeps the rule pending while the test looks.
  fleet::PatcherOptions options;
  options.api_url = "https://127.0.0.1:1";
  options.credentials_dir = "/nonexistent";
  options.first_backoff = std::chrono::hours(1);
  fleet::ConfigMapPatcher patcher(options);
  BOOST_TEST(patcher.share("198.51.100.7:3333/tcp", "x"));
  BOOST_TEST(!patcher.share("198.51.100.7:3333/tcp", "x"));
  BOOST_TEST(patcher.share("198.51.100.8:3333/tcp", "x"));
  BOOST_TEST(patcher.pending() == 2u);
} // the destructor cuts the hour short

BOOST_AUTO_TEST_SUITE_END()
