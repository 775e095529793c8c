// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "app/dns_cache.hpp"
#include "flows/flow_table.hpp"

#include <boost/test/unit_test.hpp>

using namespace minewatch;

namespace {
minewatch_flow_key keyOf(std::uint16_t port) {
  minewatch_flow_key k{};
  k.port_a = port;
  k.proto = 6;
  return k;
}
} // namespace

BOOST_AUTO_TEST_SUITE(flow_state)

BOOST_AUTO_TEST_CASE(table_is_bounded_and_counts_what_it_drops) {
  flows::FlowTable<int> table(3);
  for (std::uint16_t p = 1; p <= 3; ++p)
    table.touch(keyOf(p)) = p;
  table.touch(keyOf(1)); // 1 is now the most recent
  table.touch(keyOf(4)) = 4;
  BOOST_TEST(table.size() == 3u);
  BOOST_TEST(table.evicted() == 1u);
  BOOST_TEST(!table.find(keyOf(2))); // the least recently touched went
  BOOST_TEST(*table.find(keyOf(1)) == 1);
  BOOST_TEST(table.erase(keyOf(1)));
  BOOST_TEST(!table.erase(keyOf(1)));
  std::vector<int> order;
  table.forEach([&](const auto &, int v) { order.push_back(v); });
  BOOST_TEST(order == (std::vector<int>{3, 4}));
}

BOOST_AUTO_TEST_CASE(dns_cache_expires_and_is_bounded) {
  app::DnsCache cache(2);
  auto a = net::Address::parse("198.51.100.7").value();
  auto b = net::Address::parse("198.51.100.8").value();
  auto c = net::Address::parse("198.51.100.9").value();
  constexpr std::uint64_t kSec = 1'000'000'000ull;
  cache.learn(a, "pool.example.com", 5, 0); // short TTLs are stretched to a minute
  BOOST_TEST(cache.lookup(a, 59 * kSec).value() == "pool.example.com");
  BOOST_TEST(!cache.lookup(a, 61 * kSec));
  cache.learn(b, "b.example", 300, 0);
  cache.learn(c, "c.example", 300, 0);
  BOOST_TEST(cache.size() == 2u);
  BOOST_TEST(!cache.lookup(a, 0));
  BOOST_TEST(cache.lookup(c, 0).value() == "c.example");
}

BOOST_AUTO_TEST_SUITE_END()
