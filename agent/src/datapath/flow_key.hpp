// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "minewatch_abi.h"
#include "net/address.hpp"

#include <cstdint>
#include <string>

namespace minewatch::datapath {

struct Endpoint {
  net::Address address;
  std::uint16_t port = 0; // host order
};

struct DirectedKey {
  minewatch_flow_key key;
  minewatch_direction direction; // of the packet src -> dst within key
};

/// The key the BPF programs file a packet src -> dst under: endpoints ordered
/// by memcmp of (address, port in network order), as bpf/lib/flow.bpf.h does.
DirectedKey canonicalFlowKey(const Endpoint &src, const Endpoint &dst, std::uint8_t proto);

Endpoint endpointA(const minewatch_flow_key &key);
Endpoint endpointB(const minewatch_flow_key &key);

/// "tcp 10.0.0.1:443 <-> 10.0.0.2:51000"
std::string describe(const minewatch_flow_key &key);

} // namespace minewatch::datapath
