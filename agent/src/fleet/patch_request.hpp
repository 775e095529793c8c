// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstdint>
#include <string>

namespace minewatch::fleet {

/// Where a pod's service-account credentials are mounted by the kubelet.
inline constexpr const char *kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

/// How this pod reaches its API server, read afresh for every request: the
/// kubelet rotates a projected token (hourly), so a token read once at start
/// would be refused after its expiry.
struct ApiAccess {
  std::string host; // an address or name, IPv6 without brackets
  std::uint16_t port = 443;
  std::string token;
  std::string ca_file;
  std::string namespace_name;
};

/// `api_url` ("https://HOST:PORT", "https://[V6]:PORT"), or when empty the
/// in-cluster KUBERNETES_SERVICE_HOST/PORT, plus `credentials_dir`'s token,
/// ca.crt and namespace. Throws std::runtime_error naming what is missing.
ApiAccess loadApiAccess(const std::string &api_url, const std::string &credentials_dir);

/// Splits "https://HOST[:PORT]"; false with the reason in `why` otherwise.
/// Only https: the request carries the token.
bool parseApiUrl(const std::string &url, std::string &host, std::uint16_t &port, std::string *why = nullptr);

/// One request to the API server, as sent (see ConfigMapPatcher).
struct PatchRequest {
  std::string method;
  std::string path;
  std::string content_type;
  std::string authorization;
  std::string body;
};

/// The PATCH adding `canonical_rule` to ConfigMap `configmap`: the same merge
/// patch `minewatch fleet-patch` prints (one key per rule), so a rule shared
/// by an agent and one added by an operator are the same key.
PatchRequest patchRequest(const ApiAccess &access, const std::string &configmap, const std::string &canonical_rule,
                          const std::string &why);

} // namespace minewatch::fleet
