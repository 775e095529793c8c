// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "net/address.hpp"

#include <set>

namespace minewatch::net {

/// Every address configured on an interface of this network namespace
/// (getifaddrs), IPv4 in its v4-mapped form. Empty when they cannot be read.
std::set<Address> localAddresses();

} // namespace minewatch::net
