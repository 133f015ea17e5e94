// Two policy lists compared domain by domain, on resolved policies.
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "list/list_diff.hpp"

namespace {

using mx::list::Entry;
using mx::list::EntryChange;
using mx::list::Mode;
using mx::list::Policy;
using mx::list::PolicyList;

PolicyList base() {
  PolicyList list;
  list.timestamp = "2020-05-20T10:25:12Z";
  list.expires = "2020-06-03T10:25:12Z";
  list.author = "test";
  list.aliases["google"] = {Mode::testing, {"aspmx.l.google.com", ".google.com"}};
  list.policies["a.example"] = {{Mode::testing, {"mx.a.example"}}, std::nullopt};
  list.policies["b.example"] = {list.aliases["google"], "google"};
  list.policies["c.example"] = {{Mode::enforce, {"mx1.c.example", "mx2.c.example"}}, std::nullopt};
  return list;
}

}  // namespace

TEST_CASE("list diff: identical lists, and patterns only reordered, have no change", "[unit]") {
  const auto before = base();
  auto after = base();
  after.policies["c.example"].policy.mxs = {"mx2.c.example", "mx1.c.example"};
  const auto diff = mx::list::diff_lists(before, after);
  CHECK(diff.changes.empty());
  CHECK_FALSE(diff.header_changed);
  CHECK(mx::list::diff_text(diff) == "0 added, 0 removed, 0 changed; header unchanged\n");
}

TEST_CASE("list diff: added, removed, mode and pattern changes, sorted by domain", "[unit]") {
  const auto before = base();
  auto after = base();
  after.expires = "2020-06-10T10:25:12Z";
  after.policies.erase("a.example");
  after.policies["0.example"] = {{Mode::enforce, {".0.example"}}, std::nullopt};
  after.policies["c.example"].policy = {Mode::testing, {"mx1.c.example", "mx3.c.example"}};
  const auto diff = mx::list::diff_lists(before, after);
  CHECK(diff.header_changed);
  REQUIRE(diff.changes.size() == 3);

  const auto& added = diff.changes[0];
  CHECK(added.domain == "0.example");
  CHECK(added.kind == EntryChange::Kind::added);
  CHECK_FALSE(added.before);
  CHECK(added.after == after.policies["0.example"]);
  CHECK(added.patterns_added == std::vector<std::string>{".0.example"});

  const auto& removed = diff.changes[1];
  CHECK(removed.domain == "a.example");
  CHECK(removed.kind == EntryChange::Kind::removed);
  CHECK(removed.before == before.policies.at("a.example"));
  CHECK_FALSE(removed.after);
  CHECK(removed.patterns_removed == std::vector<std::string>{"mx.a.example"});

  const auto& changed = diff.changes[2];
  CHECK(changed.domain == "c.example");
  CHECK(changed.kind == EntryChange::Kind::changed);
  CHECK(changed.mode_changed);
  CHECK(changed.patterns_added == std::vector<std::string>{"mx3.c.example"});
  CHECK(changed.patterns_removed == std::vector<std::string>{"mx2.c.example"});
  CHECK_FALSE(changed.alias_changed);

  CHECK(mx::list::diff_text(diff) ==
        "+ 0.example enforce .0.example\n"
        "- a.example testing mx.a.example\n"
        "~ c.example mode enforce -> testing, mxs +mx3.c.example -mx2.c.example\n"
        "1 added, 1 removed, 1 changed; header changed\n");

  const auto json = mx::list::change_json(changed);
  CHECK(json.at("domain") == "c.example");
  CHECK(json.at("change") == "changed");
  CHECK(json.at("mode") == boost::json::value{{"before", "enforce"}, {"after", "testing"}});
  CHECK(json.at("mxs_added") == boost::json::array{"mx3.c.example"});
  CHECK(json.at("mxs_removed") == boost::json::array{"mx2.c.example"});
  CHECK(json.at("before").at("mxs") == boost::json::array{"mx1.c.example", "mx2.c.example"});
  CHECK(json.at("after").at("alias").is_null());
  CHECK(json.at("alias").is_null());

  const auto added_json = mx::list::change_json(added);
  CHECK(added_json.at("change") == "added");
  CHECK(added_json.at("before").is_null());
  CHECK(added_json.at("after").at("mode") == "enforce");
  CHECK(added_json.at("mode").is_null());
  CHECK(mx::list::change_json(removed).at("after").is_null());
}

TEST_CASE("list diff: an alias change with the same policy changes the alias only", "[unit]") {
  const auto before = base();
  auto after = base();
  after.policies["b.example"].alias.reset();
  after.aliases["gmail"] = after.aliases["google"];
  after.policies["a.example"] = {after.aliases["gmail"], "gmail"};
  after.policies["a.example"].policy.mxs.push_back("mx.a.example");
  const auto diff = mx::list::diff_lists(before, after);
  REQUIRE(diff.changes.size() == 2);

  const auto& moved = diff.changes[0];
  CHECK(moved.domain == "a.example");
  CHECK(moved.alias_changed);
  CHECK_FALSE(moved.mode_changed);
  CHECK(moved.patterns_added == std::vector<std::string>{"aspmx.l.google.com", ".google.com"});
  CHECK(moved.patterns_removed.empty());

  const auto& unaliased = diff.changes[1];
  CHECK(unaliased.domain == "b.example");
  CHECK(unaliased.kind == EntryChange::Kind::changed);
  CHECK(unaliased.alias_changed);
  CHECK_FALSE(unaliased.mode_changed);
  CHECK(unaliased.patterns_added.empty());
  CHECK(unaliased.patterns_removed.empty());
  CHECK(mx::list::diff_text(diff).find("~ b.example alias google -> (none)\n") !=
        std::string::npos);
  const auto json = mx::list::change_json(unaliased);
  CHECK(json.at("alias") == boost::json::value{{"before", "google"}, {"after", nullptr}});
  CHECK(json.at("before").at("alias") == "google");
  CHECK(json.at("mode").is_null());
  CHECK(json.at("mxs_added").as_array().empty());
}

TEST_CASE("list diff: an alias's new policy changes every domain that uses it", "[unit]") {
  const auto before = base();
  auto after = base();
  after.aliases["google"].mode = Mode::enforce;
  after.policies["b.example"].policy.mode = Mode::enforce;  // as parse_list resolves it
  const auto diff = mx::list::diff_lists(before, after);
  REQUIRE(diff.changes.size() == 1);
  CHECK(diff.changes[0].domain == "b.example");
  CHECK(diff.changes[0].mode_changed);
  CHECK_FALSE(diff.changes[0].alias_changed);
}
