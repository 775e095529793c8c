// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "net/local_addresses.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>

namespace minewatch::net {

std::set<Address> localAddresses() {
  std::set<Address> out;
  ifaddrs *list = nullptr;
  if (getifaddrs(&list) != 0)
    return out;
  for (auto *i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr)
      continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      sockaddr_in v4{};
      std::memcpy(&v4, i->ifa_addr, sizeof v4);
      out.insert(Address::fromV4(v4.sin_addr.s_addr));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      sockaddr_in6 v6{};
      std::memcpy(&v6, i->ifa_addr, sizeof v6);
      Address a;
      std::memcpy(a.bytes.data(), &v6.sin6_addr, 16);
      out.insert(a);
    }
  }
  freeifaddrs(list);
  return out;
}

} // namespace minewatch::net
