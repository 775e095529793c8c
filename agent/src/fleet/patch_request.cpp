// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "fleet/patch_request.hpp"

#include "fleet/fleet_patch.hpp"

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace minewatch::fleet {

namespace {
std::string readFile(const std::string &path, const char *what) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error(std::string("fleet_share: cannot read the ") + what + " " + path);
  std::stringstream text;
  text << in.rdbuf();
  auto s = text.str();
  // The kubelet writes them without a newline; an operator's copy may have one.
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  if (s.empty())
    throw std::runtime_error(std::string("fleet_share: the ") + what + " " + path + " is empty");
  return s;
}

bool parsePort(const std::string &text, std::uint16_t &port) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535)
    return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}
} // namespace

bool parseApiUrl(const std::string &url, std::string &host, std::uint16_t &port, std::string *why) {
  auto fail = [why](const std::string &reason) {
    if (why)
      *why = reason;
    return false;
  };
  const std::string scheme = "https://";
  if (url.rfind(scheme, 0) != 0)
    return fail("'" + url + "' must be https://HOST[:PORT]: the request carries the service-account token");
  auto rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  std::string port_text;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos)
      return fail("'" + url + "': unclosed [");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':')
        return fail("'" + url + "': expected :PORT after ]");
      port_text = rest.substr(close + 2);
    }
  } else {
    auto colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string::npos)
      port_text = rest.substr(colon + 1);
  }
  if (host.empty() || host.find('/') != std::string::npos)
    return fail("'" + url + "': no host, or a path (only https://HOST[:PORT])");
  port = 443;
  if (!port_text.empty() && !parsePort(port_text, port))
    return fail("'" + url + "': bad port");
  return true;
}

ApiAccess loadApiAccess(const std::string &api_url, const std::string &credentials_dir) {
  ApiAccess access;
  std::string why;
  if (!api_url.empty()) {
    if (!parseApiUrl(api_url, access.host, access.port, &why))
      throw std::runtime_error("fleet_share: " + why);
  } else {
    const char *host = std::getenv("KUBERNETES_SERVICE_HOST");
    const char *port = std::getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !parsePort(port, access.port))
      throw std::runtime_error("fleet_share: no API server: KUBERNETES_SERVICE_HOST/PORT unset (not in a pod?) "
                               "and no actions.fleet_share_api");
    access.host = host;
  }
  access.token = readFile(credentials_dir + "/token", "service-account token");
  access.ca_file = credentials_dir + "/ca.crt";
  readFile(access.ca_file, "API server CA");
  access.namespace_name = readFile(credentials_dir + "/namespace", "namespace file");
  return access;
}

PatchRequest patchRequest(const ApiAccess &access, const std::string &configmap, const std::string &canonical_rule,
                          const std::string &why) {
  auto patch = fleetPatch(canonical_rule, why, {access.namespace_name, configmap});
  // Merge patch: adds (or sets) this one key and leaves every other alone,
  // so two nodes sharing different rules at once never clash.
  return {"PATCH", "/api/v1/namespaces/" + access.namespace_name + "/configmaps/" + configmap,
          "application/merge-patch+json", "Bearer " + access.token, patch["patch"].dump()};
}

} // namespace minewatch::fleet
