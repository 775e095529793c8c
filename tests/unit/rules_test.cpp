// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "actions/rule_book.hpp"
#include "rules/rule_target.hpp"
#include "fake_block_maps.hpp"

#include <boost/test/unit_test.hpp>

#include <map>

using namespace minewatch;
using rules::parseRuleTarget;

namespace {
rules::RuleTarget target(const char *text) { return parseRuleTarget(text).value(); }

using test::FakeBlockMaps;
} // namespace

BOOST_AUTO_TEST_SUITE(rule_targets)

BOOST_AUTO_TEST_CASE(forms_and_round_trips) {
  for (const char *text : {"198.51.100.0/24", "198.51.100.7/32", "2001:db8::/32", "198.51.100.7:3333/tcp",
                           "198.51.100.7:53/udp", "[2001:db8::7]:443/tcp"}) {
    BOOST_TEST_CONTEXT(text) {
      auto t = parseRuleTarget(text);
      BOOST_REQUIRE(t);
      BOOST_TEST(rules::toString(*t) == text);
    }
  }
  BOOST_TEST(rules::toString(target("198.51.100.7:3333")) == "198.51.100.7:3333/tcp");
  BOOST_TEST(rules::toString(target("198.51.100.7")) == "198.51.100.7/32");
}

BOOST_AUTO_TEST_CASE(bad_targets_say_why) {
  struct {
    const char *text, *why;
  } cases[] = {{"198.51.100.7:70000", "port '70000' must be 0-65535"},
               {"198.51.100.7:65536", "port '65536' must be 0-65535"},
               {"198.51.100.7:33x", "port '33x' must be 0-65535"},
               {"0.0.0.0/0", "covers every IPv4 address"},
               {"::/0", "covers every IPv4 address"},
               {"::/1", "covers every IPv4 address"},
               {"::ffff:0:0/96", "prefix length '96' must be 0-32"}, // v4-mapped is IPv4
               {"198.51.100.7:3333/sctp", "protocol 'sctp' must be tcp or udp"},
               {"198.51.100.0/33", "prefix length '33' must be 0-32"},
               {"300.1.1.1/8", "'300.1.1.1' is not an IPv4 or IPv6 address"},
               {"pool.example.com:3333", "'pool.example.com' is not an IPv4 or IPv6 address"},
               {"[2001:db8::1]443", "expected [IPv6]:PORT"},
               {"", "empty rule"}};
  for (auto c : cases) {
    std::string why;
    BOOST_TEST_CONTEXT(c.text) {
      BOOST_TEST(!parseRuleTarget(c.text, &why));
      BOOST_TEST(why.find(c.why) != std::string::npos, "got: " << why);
    }
  }
}

// Every rule the agent can make must be one an operator can name: an
// auto-block of a flow to port 0 made ADDR:0/tcp, which could not be deleted.
// A rule over all of IPv4 parses only when the operator says so.
BOOST_AUTO_TEST_CASE(port_zero_is_a_port_and_everything_must_be_asked_for) {
  BOOST_TEST(rules::toString(target("198.51.100.7:0")) == "198.51.100.7:0/tcp");
  BOOST_TEST(rules::toString(target("[2001:db8::7]:0/udp")) == "[2001:db8::7]:0/udp");
  struct {
    const char *text;
    bool all_of_ipv4;
  } cases[] = {{"0.0.0.0/0", true},
               {"::/0", true},
               {"::/80", true},
               {"::/96", false},
               {"0.0.0.0/1", false},
               {"128.0.0.0/1", false},
               {"2000::/3", false},
               {"::/97", false},
               {"198.51.100.0/24", false},
               {"198.51.100.7:3333", false}};
  for (auto c : cases) {
    BOOST_TEST_CONTEXT(c.text) {
      auto t = parseRuleTarget(c.text, nullptr, true);
      BOOST_REQUIRE(t);
      BOOST_TEST(rules::coversAllOfIpv4(*t) == c.all_of_ipv4);
      BOOST_TEST(parseRuleTarget(c.text).has_value() == !c.all_of_ipv4);
    }
  }
}

BOOST_AUTO_TEST_CASE(covers_and_overlaps) {
  auto pool = net::Address::parse("198.51.100.7").value();
  BOOST_TEST(rules::covers(target("198.51.100.0/24"), pool, 1, 6));
  BOOST_TEST(!rules::covers(target("198.51.101.0/24"), pool, 1, 6));
  BOOST_TEST(rules::covers(target("198.51.100.7:3333"), pool, 3333, 6));
  BOOST_TEST(!rules::covers(target("198.51.100.7:3333"), pool, 3333, 17));
  BOOST_TEST(rules::overlaps(target("198.51.0.0/16"), target("198.51.100.0/24")));
  BOOST_TEST(rules::overlaps(target("198.51.100.0/24"), target("198.51.0.0/16")));
  BOOST_TEST(!rules::overlaps(target("198.51.100.0/24"), target("198.51.101.0/24")));
  BOOST_TEST(rules::overlaps(target("198.51.100.0/24"), target("198.51.100.7:3333")));
  BOOST_TEST(!rules::overlaps(target("198.51.100.7:3333"), target("198.51.100.7:3334")));
  BOOST_TEST(rules::overlaps(*parseRuleTarget("0.0.0.0/0", nullptr, true), target("203.0.113.9:1/udp")));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rule_book)

BOOST_AUTO_TEST_CASE(blocks_carry_their_story_and_expire) {
  FakeBlockMaps maps;
  actions::RuleBook book(maps);
  BOOST_TEST(
      !book.block(target("198.51.100.7:3333"), 60'000'000'000ull, 1000, 5, actions::RuleSource::Auto, "XMRig login"));
  BOOST_TEST(!book.block(target("203.0.113.0/24"), 0, 1000, 5, actions::RuleSource::Manual, "operator"));
  auto blocks = book.blocks();
  BOOST_REQUIRE(blocks.size() == 2u);
  BOOST_TEST(blocks[0].id == 1u);
  BOOST_TEST((blocks[0].source == actions::RuleSource::Auto));
  BOOST_TEST(blocks[0].expires_ns == 1000u + 60'000'000'000ull);
  BOOST_TEST(maps.rules_.size() == 2u);

  BOOST_TEST(book.sweepExpired(1000 + 60'000'000'000ull - 1).empty());
  auto expired = book.sweepExpired(1000 + 60'000'000'000ull);
  BOOST_REQUIRE(expired.size() == 1u);
  BOOST_TEST(rules::toString(expired[0].target) == "198.51.100.7:3333/tcp");
  BOOST_TEST(maps.rules_.size() == 1u); // permanent rule stays
}

BOOST_AUTO_TEST_CASE(allowlist_always_wins) {
  FakeBlockMaps maps;
  actions::RuleBook book(maps);
  BOOST_TEST(!book.block(target("198.51.100.0/24"), 0, 0, 0, actions::RuleSource::Manual, ""));
  auto lifted = book.allow(target("198.51.100.7:443"));
  BOOST_TEST(lifted.size() == 1u); // the /24 would have dropped an allowed endpoint
  BOOST_TEST(maps.rules_.empty());
  auto refused = book.block(target("198.51.100.0/24"), 0, 0, 0, actions::RuleSource::Auto, "");
  BOOST_REQUIRE(refused);
  BOOST_TEST(refused->message.find("allowlisted 198.51.100.7:443/tcp") != std::string::npos);
  BOOST_TEST(!book.block(target("198.51.100.8:3333"), 0, 0, 0, actions::RuleSource::Auto, "")); // a neighbour is fine
  BOOST_TEST(book.isAllowed(net::Address::parse("198.51.100.7").value(), 443, 6));
  BOOST_TEST(book.disallow(target("198.51.100.7:443")));
  BOOST_TEST(!book.disallow(target("198.51.100.7:443")));
}

BOOST_AUTO_TEST_CASE(restore_adopts_pinned_rules_and_keeps_ids_unique) {
  FakeBlockMaps maps;
  BOOST_TEST(maps.install(target("198.51.100.7:3333"), 41, 0));
  actions::RuleBook book(maps);
  book.restore(123);
  auto blocks = book.blocks();
  BOOST_REQUIRE(blocks.size() == 1u);
  BOOST_TEST((blocks[0].source == actions::RuleSource::Restored));
  BOOST_TEST(blocks[0].id == 41u);
  BOOST_TEST(!book.block(target("203.0.113.1:1"), 0, 0, 0, actions::RuleSource::Manual, ""));
  BOOST_TEST(book.blocks().back().id == 42u);
  BOOST_TEST(book.unblock(target("198.51.100.7:3333")));
  BOOST_TEST(!book.unblock(target("198.51.100.7:3333")));
}

BOOST_AUTO_TEST_SUITE_END()
