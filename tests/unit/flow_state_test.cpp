// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "judge/dns_cache.hpp"
#include "flows/flow_table.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <list>
#include <map>
#include <random>

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

BOOST_AUTO_TEST_CASE(table_agrees_with_a_plain_lru_under_churn) {
  // Open addressing moves slots on every erase and eviction: a random mix
  // of touches and erases over more keys than fit, checked step by step
  // against a list-and-map LRU, finds any chain that breaks.
  constexpr std::size_t kCapacity = 95; // 128 slots, 3/4 full: long chains
  flows::FlowTable<std::uint32_t> table(kCapacity);
  std::list<std::uint16_t> order; // oldest first
  std::map<std::uint16_t, std::uint32_t> values;
  std::uint64_t evicted = 0;
  std::mt19937 random(7);
  for (std::uint32_t step = 1; step <= 200000; ++step) {
    auto port = static_cast<std::uint16_t>(1 + random() % 300);
    auto key = keyOf(port);
    bool present = values.count(port) != 0;
    if (random() % 4 == 0) {
      BOOST_REQUIRE(table.erase(key) == present);
      if (present) {
        order.remove(port);
        values.erase(port);
      }
    } else {
      if (present) {
        order.remove(port);
      } else if (values.size() == kCapacity) {
        values.erase(order.front());
        order.pop_front();
        ++evicted;
      }
      order.push_back(port);
      values[port] = step;
      table.touch(key) = step;
    }
    auto probe = static_cast<std::uint16_t>(1 + random() % 300);
    auto *found = table.find(keyOf(probe));
    BOOST_REQUIRE((found != nullptr) == (values.count(probe) != 0));
    if (found)
      BOOST_REQUIRE(*found == values[probe]);
    BOOST_REQUIRE(table.size() == values.size());
  }
  BOOST_TEST(table.evicted() == evicted);
  std::vector<std::uint16_t> seen;
  table.forEach([&](const minewatch_flow_key &k, std::uint32_t v) {
    seen.push_back(k.port_a);
    BOOST_TEST(v == values[k.port_a]);
  });
  BOOST_TEST(seen == std::vector<std::uint16_t>(order.begin(), order.end()));
}

BOOST_AUTO_TEST_CASE(table_refuses_a_capacity_it_cannot_hold) {
  BOOST_CHECK_THROW(flows::FlowTable<int>(0), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(dns_cache_expires_and_is_bounded) {
  judge::DnsCache cache(2);
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
