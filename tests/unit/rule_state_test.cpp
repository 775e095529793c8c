// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Rules that must outlive a restart and survive mishaps, in pure C++: a full
// block map refuses and counts, the saved rule book round-trips (and a
// corrupt one is a warning), an unreadable list source keeps its last good
// rules. The same behaviours against the real agent: agent_rules_test (BPF)
// and agent_rules_e2e_test (namespaces).
#include "actions/rule_book.hpp"
#include "actions/rule_store.hpp"
#include "lists/last_good_rules.hpp"
#include "fake_block_maps.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <map>

using namespace minewatch;

namespace {
rules::RuleTarget target(const char *text) { return rules::parseRuleTarget(text).value(); }

using BoundedBlockMaps = test::FakeBlockMaps;

std::filesystem::path scratchDir(const char *name) {
  auto dir =
      std::filesystem::temp_directory_path() / (std::string("minewatch-") + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}
} // namespace

BOOST_AUTO_TEST_SUITE(full_block_map)

BOOST_AUTO_TEST_CASE(a_full_map_refuses_counts_and_goes_on) {
  BoundedBlockMaps maps(2);
  actions::RuleBook book(maps);
  BOOST_TEST(!book.block(target("198.51.100.1:3333"), 0, 0, 0, actions::RuleSource::Auto, "pool 1"));
  BOOST_TEST(!book.block(target("198.51.100.2:3333"), 0, 0, 0, actions::RuleSource::Auto, "pool 2"));
  auto refused = book.block(target("198.51.100.3:3333"), 0, 0, 0, actions::RuleSource::Auto, "pool 3");
  BOOST_REQUIRE(refused);
  BOOST_TEST((refused->why == actions::BlockRefusal::Why::MapFull));
  BOOST_TEST(refused->message.find("block map is full") != std::string::npos, refused->message);
  BOOST_TEST(!book.find(target("198.51.100.3:3333"))); // not in the book: it is not in force
  BOOST_TEST(book.blockCount() == 2u);
  BOOST_TEST(book.block(target("203.0.113.0/24"), 0, 0, 0, actions::RuleSource::Manual, "").has_value());
  BOOST_TEST(book.refusedFull().at(actions::RuleSource::Auto) == 1u);
  BOOST_TEST(book.refusedFull().at(actions::RuleSource::Manual) == 1u);
  // A rule already in force can still be refreshed, and a freed slot used.
  BOOST_TEST(!book.block(target("198.51.100.1:3333"), 5, 0, 0, actions::RuleSource::Auto, "pool 1 again"));
  BOOST_TEST(book.unblock(target("198.51.100.2:3333")));
  BOOST_TEST(!book.block(target("198.51.100.3:3333"), 0, 0, 0, actions::RuleSource::Auto, "pool 3"));
  // Ids stay unique: a refused rule used none up.
  BOOST_TEST(book.find(target("198.51.100.3:3333"))->id == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(saved_rule_book)

BOOST_AUTO_TEST_CASE(restart_gives_back_sources_reasons_and_manual_allows) {
  BoundedBlockMaps maps(100); // the pinned maps: they outlive the agent
  actions::SavedRuleBook saved;
  {
    actions::RuleBook before(maps);
    BOOST_TEST(!before.block(target("198.51.100.7:3333"), 60, 1000, 11, actions::RuleSource::Auto, "XMRig login"));
    BOOST_TEST(
        !before.block(target("203.0.113.0/24"), 0, 1000, 12, actions::RuleSource::Manual, "added by an operator"));
    BOOST_TEST(!before.block(target("192.0.2.9/32"), 0, 1000, 13, actions::RuleSource::File, "listed in /lists/a:1"));
    before.allow(target("192.0.2.128/25"), actions::RuleSource::Manual, "added by an operator", 14);
    before.allow(target("198.18.0.0/15"), actions::RuleSource::Config, "listed in the config", 15);
    before.allow(target("198.51.100.200/32"), actions::RuleSource::File, "listed in a list file", 16);
    saved = actions::parseRuleBook(actions::toJson({before.state(), 77}));
  }
  BOOST_TEST(saved.block_map_id == 77u);

  actions::RuleBook after(maps);
  after.restore(999, &saved.rules);
  struct {
    const char *target, *source, *reason;
    std::uint64_t created;
  } expected[] = {{"198.51.100.7:3333/tcp", "auto", "XMRig login", 11},
                  {"203.0.113.0/24", "manual", "added by an operator", 12},
                  {"192.0.2.9/32", "file", "listed in /lists/a:1", 13}};
  for (const auto &e : expected) {
    BOOST_TEST_CONTEXT(e.target) {
      const auto *rule = after.find(target(e.target));
      BOOST_REQUIRE(rule);
      BOOST_TEST(actions::toString(rule->source) == std::string(e.source));
      BOOST_TEST(rule->reason == e.reason);
      BOOST_TEST(rule->created_ns == e.created);
    }
  }
  BOOST_TEST(after.find(target("198.51.100.7:3333"))->expires_ns == 1060u); // the map's deadline
  // Only the operator's allow comes back from the book: the config and the
  // files give back their own (or, gone from them, must not come back).
  BOOST_REQUIRE(after.allows().size() == 1u);
  BOOST_TEST(rules::toString(after.allows()[0].target) == "192.0.2.128/25");
  BOOST_TEST((after.allows()[0].source == actions::RuleSource::Manual));
  BOOST_TEST(after.isAllowed(net::Address::parse("192.0.2.200").value(), 80, 6));
}

BOOST_AUTO_TEST_CASE(without_a_book_pinned_blocks_are_restored_as_today) {
  BoundedBlockMaps maps(10);
  BOOST_TEST(maps.install(target("198.51.100.7:3333"), 5, 0));
  actions::SavedRuleBook other; // a book about a rule the maps no longer hold
  other.rules.blocks.push_back({9, target("203.0.113.1/32"), actions::RuleSource::Manual, "gone", 1, 0, 0, 0, 0});
  actions::RuleBook book(maps);
  book.restore(42, &other.rules);
  BOOST_TEST(book.blockCount() == 1u); // the maps are what enforces
  BOOST_TEST((book.find(target("198.51.100.7:3333"))->source == actions::RuleSource::Restored));
  BOOST_TEST(book.find(target("198.51.100.7:3333"))->created_ns == 42u);
}

BOOST_AUTO_TEST_CASE(saved_atomically_and_a_bad_file_is_a_warning) {
  auto dir = scratchDir("rulebook");
  auto path = (dir / "n0" / "rules.json").string();
  std::string warning;
  BOOST_TEST(!actions::loadRuleBook(path, warning));
  BOOST_TEST(warning.empty()); // none yet: a first start, not a problem

  actions::SavedRuleBook book;
  book.block_map_id = 3;
  book.rules.blocks.push_back(
      {1, target("198.51.100.7:3333"), actions::RuleSource::Auto, "reason with \"quotes\" and \xff", 1, 2, 0, 0, 0});
  book.rules.allows.push_back({target("192.0.2.0/24"), actions::RuleSource::Manual, "", 4});
  actions::saveRuleBook(path, book); // makes the directory
  BOOST_TEST(!std::filesystem::exists(path + ".tmp"));
  auto loaded = actions::loadRuleBook(path, warning);
  BOOST_REQUIRE(loaded);
  BOOST_TEST(warning.empty());
  BOOST_TEST(loaded->block_map_id == 3u);
  BOOST_REQUIRE(loaded->rules.blocks.size() == 1u);
  BOOST_TEST((loaded->rules.blocks[0].source == actions::RuleSource::Auto));
  BOOST_TEST(loaded->rules.blocks[0].expires_ns == 2u);
  BOOST_REQUIRE(loaded->rules.allows.size() == 1u);

  for (const char *corrupt : {"{\"version\": 1, \"blocks\": [", "[]", "{\"version\": 9}", "{\"version\": 1}"}) {
    BOOST_TEST_CONTEXT(corrupt) {
      std::ofstream(path, std::ios::trunc) << corrupt;
      BOOST_TEST(!actions::loadRuleBook(path, warning));
      BOOST_TEST(warning.find("is corrupt") != std::string::npos, warning);
    }
  }
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(last_good_rules)

// Each step loads the configured paths; a path is given as its content
// ("" = readable and empty) or as unreadable (nullptr).
struct Step {
  const char *a, *b;
  std::vector<std::string> rules; // in force after the step
  std::vector<std::string> stale;
};
struct Case {
  const char *description;
  std::vector<Step> steps;
};

BOOST_AUTO_TEST_CASE(an_unreadable_source_keeps_its_last_good_rules) {
  const Case cases[] = {
      {"a source that vanishes keeps its rules; back, it says what is in force",
       {{"192.0.2.1", "192.0.2.2", {"192.0.2.1/32", "192.0.2.2/32"}, {}},
        {nullptr, "192.0.2.2", {"192.0.2.1/32", "192.0.2.2/32"}, {"a"}},
        {nullptr, "", {"192.0.2.1/32"}, {"a"}},
        {"192.0.2.3", "", {"192.0.2.3/32"}, {}}}},
      {"emptied is not lost: a readable empty source lifts its rules",
       {{"192.0.2.1", "", {"192.0.2.1/32"}, {}}, {"", "", {}, {}}}},
      {"never read: nothing to keep, but stale all the same",
       {{nullptr, "192.0.2.2", {"192.0.2.2/32"}, {"a"}},
        {"192.0.2.1", "192.0.2.2", {"192.0.2.1/32", "192.0.2.2/32"}, {}}}},
      {"both lost",
       {{"192.0.2.1", "192.0.2.2", {"192.0.2.1/32", "192.0.2.2/32"}, {}},
        {nullptr, nullptr, {"192.0.2.1/32", "192.0.2.2/32"}, {"a", "b"}}}},
  };
  for (const auto &c : cases) {
    BOOST_TEST_CONTEXT(c.description) {
      const Step *current = nullptr;
      lists::LastGoodRules sources([&](const std::string &path) {
        const char *text = path == "a" ? current->a : current->b;
        if (!text) {
          lists::RuleFileSet gone;
          gone.errors = gone.unreadable = {path + ": cannot read (No such file or directory)"};
          return gone;
        }
        return lists::parseRules(text, path);
      });
      std::uint64_t wall = 100;
      for (std::size_t i = 0; i < c.steps.size(); ++i) {
        BOOST_TEST_CONTEXT("step " << i) {
          current = &c.steps[i];
          auto loaded = sources.load({"a", "b"}, wall += 10);
          std::vector<std::string> got, stale;
          for (const auto &line : loaded.rules)
            got.push_back(rules::toString(line.target));
          for (const auto &s : sources.stale())
            stale.push_back(s.path);
          BOOST_TEST(got == current->rules, boost::test_tools::per_element());
          BOOST_TEST(stale == current->stale, boost::test_tools::per_element());
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(stale_since_is_when_it_was_first_lost) {
  bool readable = true;
  lists::LastGoodRules sources([&](const std::string &path) {
    lists::RuleFileSet out = lists::parseRules("192.0.2.1\n192.0.2.2", path);
    if (!readable) {
      out = {};
      out.errors = out.unreadable = {path + ": cannot read (Permission denied)"};
    }
    return out;
  });
  sources.load({"/lists"}, 1);
  readable = false;
  sources.load({"/lists"}, 2);
  sources.load({"/lists"}, 3);
  auto stale = sources.stale();
  BOOST_REQUIRE(stale.size() == 1u);
  BOOST_TEST(stale[0].since_wall_ns == 2u);
  BOOST_TEST(stale[0].rules_kept == 2u);
  BOOST_TEST(stale[0].error.find("Permission denied") != std::string::npos);
  BOOST_TEST(sources.isStale("/lists"));
}

BOOST_AUTO_TEST_SUITE_END()
