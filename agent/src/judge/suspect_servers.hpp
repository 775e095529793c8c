// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "net/address.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace minewatch::judge {

/// One client's suspicious or mining flow to a server endpoint.
struct SuspectFlow {
  net::Address client;
  net::Address server;
  std::uint16_t port = 0;
  std::uint8_t proto = 0;
  std::string server_name; // SNI or DNS name, empty when unknown
};

/// A server endpoint and how many distinct clients had such flows to it.
struct SuspectServer {
  net::Address server;
  std::uint16_t port = 0;
  std::uint8_t proto = 0;
  std::string server_name;
  std::size_t clients = 0;
};

struct SuspectServers {
  std::vector<SuspectServer> top; // most clients first
  std::size_t dropped = 0;        // endpoints the cap left out
};

/// The `top` server endpoints by distinct clients (ties: by address, port,
/// protocol, so the page is stable from scrape to scrape). What feeds the
/// fleet alert: one series per endpoint, never more than `top` per agent.
/// An endpoint named several ways gets the smallest name, for the same
/// reason.
SuspectServers topSuspectServers(std::span<const SuspectFlow> flows, std::size_t top);

} // namespace minewatch::judge
