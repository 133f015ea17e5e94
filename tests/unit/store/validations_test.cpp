// Validation history from stored runs: categories against the previous validation of the same
// list author, failing streaks, and promotion candidates, over runs inserted with chosen times.
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "store/runs.hpp"
#include "store/schema.hpp"
#include "store/validations.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using Statuses = std::map<std::string, std::string>;  // domain -> status

// A complete validation run of `author`'s list started at `when`, with each domain's status and
// entry (a.test and b.test enforce, the others testing).
std::int64_t add_validation(mx::store::Database& db, const std::string& author,
                            const std::string& when, const Statuses& statuses) {
  const mx::store::RunInfo info{.kind = "validate",
                                .options_json = "{\"test\":true}",
                                .input_digest = "digest",
                                .shard = std::nullopt,
                                .list_author = author,
                                .list_version = "2026-01-01T00:00:00Z",
                                .mxscan_version = "test"};
  std::vector<std::string> domains;
  std::vector<mx::store::RunPolicyRow> policies;
  for (const auto& [domain, status] : statuses) {
    domains.push_back(domain);
    const bool enforce = domain == "a.test" || domain == "b.test";
    policies.push_back({domain, enforce ? "enforce" : "testing", "[\"mx." + domain + "\"]", {}});
  }
  const auto run = mx::store::create_run(db, info, when, domains, {}, policies);
  auto insert = db.prepare(
      "INSERT INTO domains (run_id, domain, status, scanned_at, result) VALUES (?1, ?2, ?3, ?4, "
      "'{}')");
  for (const auto& [domain, status] : statuses) {
    insert.bind(1, run)
        .bind(2, std::string_view(domain))
        .bind(3, std::string_view(status))
        .bind(4, std::string_view(when));
    insert.run();
  }
  mx::store::finish_run(db, run, "complete", when);
  mx::store::record_validation(db, run);
  return run;
}

std::map<std::string, mx::store::ValidationRow> by_domain(const mx::store::Database& db,
                                                          std::int64_t run) {
  std::map<std::string, mx::store::ValidationRow> out;
  for (auto& row : mx::store::read_validation(db, run)) {
    out.emplace(row.domain, std::move(row));
  }
  return out;
}

}  // namespace

TEST_CASE("validation categories against the previous validation of the same author", "[unit]") {
  mx::test::TempDir dir;
  auto db = mx::store::open_for_writing(dir.path() / "v.db");

  const auto first = add_validation(db, "maintainers", "2026-11-01T03:00:00Z",
                                    {{"a.test", "pass"},
                                     {"b.test", "fail"},
                                     {"c.test", "fail"},
                                     {"d.test", "pass"},
                                     {"e.test", "error"}});
  auto rows = by_domain(db, first);
  CHECK(rows.at("a.test").category == "passing");
  CHECK_FALSE(rows.at("a.test").previous_run);
  CHECK(rows.at("b.test").category == "newly-failing");
  CHECK(rows.at("b.test").urgent);  // enforce
  CHECK(rows.at("c.test").category == "newly-failing");
  CHECK_FALSE(rows.at("c.test").urgent);  // testing
  CHECK(rows.at("e.test").category == "undetermined");

  // Another author's validation in between is not "the previous validation" of this list.
  add_validation(db, "someone else", "2026-11-01T12:00:00Z",
                 {{"a.test", "fail"}, {"b.test", "pass"}});

  const auto second = add_validation(db, "maintainers", "2026-11-02T03:00:00Z",
                                     {{"a.test", "fail"},
                                      {"b.test", "fail"},
                                      {"c.test", "pass"},
                                      {"d.test", "warn"},
                                      {"e.test", "fail"}});
  rows = by_domain(db, second);
  CHECK(rows.at("a.test").category == "newly-failing");
  CHECK(rows.at("a.test").urgent);
  CHECK(rows.at("a.test").failing_streak == 1);
  CHECK(rows.at("a.test").failing_since == "2026-11-02T03:00:00Z");
  CHECK(rows.at("b.test").category == "still-failing");
  CHECK(rows.at("b.test").failing_streak == 2);
  CHECK(rows.at("b.test").failing_since == "2026-11-01T03:00:00Z");
  CHECK(rows.at("b.test").previous_run == first);
  CHECK(rows.at("c.test").category == "recovered");
  CHECK(rows.at("c.test").failing_streak == 0);
  CHECK(rows.at("d.test").category == "passing");
  // error is not fail: failing after an undetermined night is newly failing.
  CHECK(rows.at("e.test").category == "newly-failing");

  const auto third = add_validation(db, "maintainers", "2026-11-03T03:00:00Z",
                                    {{"a.test", "fail"},
                                     {"b.test", "fail"},
                                     {"c.test", "pass"},
                                     {"d.test", "pass"},
                                     {"e.test", "error"}});
  rows = by_domain(db, third);
  CHECK(rows.at("b.test").failing_streak == 3);
  CHECK(rows.at("b.test").failing_since == "2026-11-01T03:00:00Z");
  CHECK(rows.at("a.test").category == "still-failing");
  CHECK(rows.at("a.test").failing_streak == 2);
  CHECK(rows.at("e.test").category == "undetermined");

  // Recording again (a resumed validation) gives the same rows.
  mx::store::record_validation(db, third);
  CHECK(mx::store::read_validation(db, third).size() == 5);
  CHECK(by_domain(db, third).at("b.test").failing_streak == 3);
}

TEST_CASE("promotion: clean in every validation for long enough, and often enough", "[unit]") {
  mx::test::TempDir dir;
  auto db = mx::store::open_for_writing(dir.path() / "p.db");
  // c.test: clean in 5 validations over 40 days. d.test: clean for 40 days but failed in the
  // middle. f.test: clean, but in only 3 validations. g.test: clean in 5, over 10 days only.
  const std::vector<std::string> days{"2026-10-01", "2026-10-11", "2026-10-21", "2026-10-31",
                                      "2026-11-10"};
  for (std::size_t i = 0; i < days.size(); ++i) {
    Statuses statuses{{"c.test", "pass"}, {"d.test", i == 2 ? "fail" : "warn"}};
    if (i >= 2) {
      statuses["f.test"] = "pass";
    }
    add_validation(db, "maintainers", days[i] + "T03:00:00Z", statuses);
  }
  for (const auto* day : {"2026-10-31", "2026-11-02", "2026-11-04", "2026-11-06", "2026-11-09"}) {
    add_validation(db, "maintainers", std::string(day) + "T04:00:00Z", {{"g.test", "pass"}});
  }
  const auto candidates = mx::store::promotion_candidates(
      db, "maintainers", {"c.test", "d.test", "f.test", "g.test"}, "2026-11-10T12:00:00Z", 28, 4);
  REQUIRE(candidates.size() == 1);
  CHECK(candidates[0].domain == "c.test");
  CHECK(candidates[0].clean_validations == 5);
  CHECK(candidates[0].clean_since == "2026-10-01T03:00:00Z");

  // Another author's history does not count.
  CHECK(mx::store::promotion_candidates(db, "other", {"c.test"}, "2026-11-10T12:00:00Z", 28, 4)
            .empty());
  // A shorter --promote-after admits g.test (5 validations over 10 days).
  const auto sooner =
      mx::store::promotion_candidates(db, "maintainers", {"g.test"}, "2026-11-10T12:00:00Z", 7, 4);
  CHECK(sooner.size() == 1);
  CHECK_THROWS_AS(
      mx::store::promotion_candidates(db, "maintainers", {"c.test"}, "yesterday", 28, 4),
      mx::store::StoreError);
}

TEST_CASE("an excluded entry is its own category, and its failing streak neither grows nor resets",
          "[unit]") {
  mx::test::TempDir dir;
  auto db = mx::store::open_for_writing(dir.path() / "v.db");
  add_validation(db, "maintainers", "2026-11-01T03:00:00Z",
                 {{"a.test", "fail"}, {"c.test", "pass"}});
  const auto excluded = add_validation(db, "maintainers", "2026-11-02T03:00:00Z",
                                       {{"a.test", "skipped"}, {"c.test", "skipped"}});
  auto rows = by_domain(db, excluded);
  CHECK(rows.at("a.test").category == "excluded");
  CHECK_FALSE(rows.at("a.test").urgent);  // an enforce entry, but nothing was observed
  CHECK(rows.at("a.test").failing_streak == 1);
  CHECK(rows.at("a.test").failing_since == "2026-11-01T03:00:00Z");
  CHECK(rows.at("c.test").category == "excluded");
  CHECK(rows.at("c.test").failing_streak == 0);

  const auto after = add_validation(db, "maintainers", "2026-11-03T03:00:00Z",
                                    {{"a.test", "fail"}, {"c.test", "fail"}});
  rows = by_domain(db, after);
  CHECK(rows.at("a.test").category == "still-failing");
  CHECK(rows.at("a.test").failing_streak == 2);
  CHECK(rows.at("a.test").failing_since == "2026-11-01T03:00:00Z");
  CHECK(rows.at("c.test").category == "newly-failing");
  CHECK(rows.at("c.test").failing_streak == 1);
}
