#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "store/merge.hpp"
#include "store/runs.hpp"
#include "store/schema.hpp"
#include "store/writer.hpp"

namespace {

std::filesystem::path fresh_dir() {
  static std::atomic<int> counter{0};
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("mxscan-mta-sts-rows-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  return dir;
}

mx::store::DomainRow domain(const std::string& name) {
  mx::store::DomainRow r;
  r.domain = name;
  r.status = "warn";
  r.scanned_at = "2026-11-28T00:00:00Z";
  r.result_json = "{}";
  return r;
}

mx::store::RunInfo scan_info() {
  return {"scan", "{}", "digest", std::nullopt, std::nullopt, std::nullopt, "test"};
}

// Writes the three kinds of domain into a new run of `path`: a parsed policy, a record whose
// fetch read a body that did not parse, and no record at all.
void write_run(const std::filesystem::path& path, const std::string& suffix) {
  const std::vector<std::string> names{"policy" + suffix, "garbage" + suffix, "none" + suffix};
  std::int64_t run = 0;
  {
    auto db = mx::store::open_for_writing(path);
    run = mx::store::create_run(db, scan_info(), "2026-11-28T00:00:00Z", names);
  }
  mx::store::Writer writer(path, run);
  auto with_policy = domain(names[0]);
  with_policy.mta_sts = mx::store::MtaStsPolicyRow{
      "20240101", "enforce", 86400, R"(["mx1.example.test","*.mail.example.test"])",
      "version: STSv1\r\nmode: enforce\r\nmax_age: 86400\r\nmx: mx1.example.test\r\n"
      "mx: *.mail.example.test\r\n"};
  writer.push(with_policy);
  auto unparsed = domain(names[1]);
  unparsed.mta_sts = mx::store::MtaStsPolicyRow{"abc", std::nullopt, std::nullopt, std::nullopt,
                                                "<html>not a policy</html>"};
  writer.push(unparsed);
  writer.push(domain(names[2]));
  writer.close();
  auto db = mx::store::open_for_writing(path);
  mx::store::finish_run(db, run, "complete", "2026-11-28T01:00:00Z");
}

struct PolicyRow {
  std::string domain;
  std::string record_id;
  std::string mode;  // "NULL" for NULL
  std::string max_age;
  std::string mx;
  std::string body;
  bool operator==(const PolicyRow&) const = default;
};

std::vector<PolicyRow> policy_rows(const std::filesystem::path& path) {
  auto db = mx::store::open_for_writing(path);
  auto statement = db.prepare(
      "SELECT domain, record_id, mode, max_age, mx, body FROM mta_sts_policies ORDER BY domain");
  auto text = [&](int column) {
    return statement.column_is_null(column) ? std::string("NULL") : statement.column_text(column);
  };
  std::vector<PolicyRow> out;
  while (statement.step()) {
    out.push_back({text(0), text(1), text(2), text(3), text(4), text(5)});
  }
  return out;
}

}  // namespace

TEST_CASE(
    "mta_sts_policies: one row per domain with a record, NULL policy columns when none "
    "parsed, carried by merge",
    "[unit]") {
  const auto dir = fresh_dir();
  write_run(dir / "a.db", ".a.test");
  const auto rows = policy_rows(dir / "a.db");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] ==
        PolicyRow{"garbage.a.test", "abc", "NULL", "NULL", "NULL", "<html>not a policy</html>"});
  CHECK(rows[1].domain == "policy.a.test");
  CHECK(rows[1].record_id == "20240101");
  CHECK(rows[1].mode == "enforce");
  CHECK(rows[1].max_age == "86400");
  CHECK(rows[1].mx == R"(["mx1.example.test","*.mail.example.test"])");
  CHECK(rows[1].body.find("mode: enforce\r\n") != std::string::npos);

  write_run(dir / "b.db", ".b.test");
  {
    auto out = mx::store::open_for_writing(dir / "merged.db");
    const auto merged =
        mx::store::merge_runs(out, {dir / "a.db", dir / "b.db"}, "2026-11-28T02:00:00Z", "test");
    CHECK(merged.domains == 6);
  }
  const auto all = policy_rows(dir / "merged.db");
  REQUIRE(all.size() == 4);
  CHECK(all[0] == rows[0]);
  CHECK(all[2] == rows[1]);
  CHECK(all[1].domain == "garbage.b.test");
  CHECK(all[3].domain == "policy.b.test");
  std::filesystem::remove_all(dir);
}
