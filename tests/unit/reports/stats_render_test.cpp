// `mxscan stats` renderers: the JSON and the CSV carry every tally row whole and read back to the
// collected numbers (certificate issuers holding markup, quotes and CR LF included); the text is
// aligned and shows nothing raw that a terminal would act on.
#include <sstream>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "list/suggest.hpp"
#include "reports/stats_data.hpp"
#include "reports/stats_text.hpp"
#include "store/schema.hpp"
#include "tests/support/csv_reader.hpp"
#include "tests/support/sample_runs.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace json = boost::json;

std::optional<std::string> provider_of(std::string_view host) {
  return mx::list::registrable_domain(host);
}

struct Fixture {
  mx::test::TempDir dir;
  std::int64_t from = 0;
  std::int64_t to = 0;
  Fixture() {
    from = mx::test::store_sample_run(dir.path() / "scan.db", 25, 0);
    to = mx::test::store_sample_run(dir.path() / "scan.db", 31, 2);
  }
  [[nodiscard]] mx::store::Database db() const {
    return mx::store::open_for_reading(dir.path() / "scan.db");
  }
};

std::string text(const json::value& value) {
  return json::value_to<std::string>(value);
}

}  // namespace

TEST_CASE("stats as JSON: every tally and row, strings escaped", "[unit]") {
  const Fixture fixture;
  const auto db = fixture.db();
  const auto stats = mx::store::collect_stats(db, fixture.to, provider_of);
  std::ostringstream out;
  mx::reports::write_stats_json(stats, out);
  const auto output = out.str();
  CHECK(output.find("<script>") == std::string::npos);
  CHECK(output.find("</style>") == std::string::npos);
  REQUIRE(std::count(output.begin(), output.end(), '\n') == 1);

  const auto parsed = json::parse(output).as_object();
  CHECK(parsed.at("run").at("id").as_int64() == fixture.to);
  CHECK(text(parsed.at("run").at("state")) == "complete");
  CHECK(parsed.at("run").at("domains").as_int64() == 31);
  const auto& tallies = parsed.at("tallies").as_object();
  const auto named = mx::store::named_tallies(stats);
  REQUIRE(tallies.size() == named.size());
  for (const auto& tally : named) {
    CAPTURE(tally.id);
    const auto& object = tallies.at(tally.id).as_object();
    CHECK(text(object.at("title")) == tally.title);
    CHECK(object.at("total").as_int64() == tally.tally->total);
    const auto& rows = object.at("rows").as_array();
    REQUIRE(rows.size() == tally.tally->rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& want = tally.tally->rows[i];
      CHECK(text(rows[i].at("key")) == want.key);
      CHECK(rows[i].at("count").as_int64() == want.count);
      CHECK(rows[i].at("percent").to_number<double>() ==
            Approx(mx::store::percent(want.count, tally.tally->total)).margin(0.005));
      CHECK(rows[i].at("status").is_null() == want.status.empty());
      CHECK(rows[i].at("secondary").is_null() == !want.secondary.has_value());
    }
  }
  const auto& issuers = tallies.at("issuers").at("rows").as_array();
  bool hostile = false;
  for (const auto& row : issuers) {
    hostile = hostile || text(row.at("key")) == "CN=\"</style>,O=" + mx::test::kHostile;
  }
  CHECK(hostile);
  CHECK(text(tallies.at("providers").at("rows").at(0).at("key")) == "google.com");
}

TEST_CASE("stats as CSV: one row per class, read back by an RFC 4180 reader", "[unit]") {
  const Fixture fixture;
  const auto db = fixture.db();
  const auto stats = mx::store::collect_stats(db, fixture.to, provider_of);
  std::ostringstream out;
  mx::reports::write_stats_csv(stats, out);
  const auto records = mx::test::parse_csv(out.str());
  REQUIRE(records.front().size() == 10);
  CHECK(records.front()[0].text == "run");
  CHECK(records.front()[3].text == "key");
  std::size_t r = 1;
  for (const auto& tally : mx::store::named_tallies(stats)) {
    for (const auto& row : tally.tally->rows) {
      REQUIRE(r < records.size());
      const auto& record = records[r++];
      CAPTURE(tally.id, row.key);
      CHECK(record[0].text == std::to_string(fixture.to));
      CHECK(record[1].text == tally.id);
      CHECK(record[3].text == row.key);
      CHECK(record[4].is_null() == row.status.empty());
      CHECK(record[4].text == row.status);
      CHECK(record[5].text == std::to_string(row.count));
      CHECK(record[6].text == std::to_string(tally.tally->total));
      CHECK(record[9].text == (row.secondary ? std::to_string(*row.secondary) : ""));
    }
  }
  CHECK(r == records.size());
}

TEST_CASE("stats as text: aligned, and no raw control characters from the database", "[unit]") {
  const Fixture fixture;
  const auto db = fixture.db();
  const auto stats = mx::store::collect_stats(db, fixture.to, provider_of);
  std::ostringstream out;
  mx::reports::write_stats_text(stats, out);
  const auto output = out.str();
  CAPTURE(output);
  CHECK(output.starts_with(
      fmt::format("run {} (scan, complete, started 2026-11-03T00:00:00Z): 31 domains\n\nDomains "
                  "by status (31 domains)\n",
                  fixture.to)));
  CHECK(output.find("\nSTARTTLS per domain, worst MX host (31 domains)\n") != std::string::npos);
  CHECK(output.find("\n  google.com ") != std::string::npos);
  for (const char c : output) {
    const auto octet = static_cast<unsigned char>(c);
    CHECK((octet >= 0x20 || c == '\n'));
    CHECK(octet != 0x7f);
  }
  // The hostile issuer is cut, with its controls replaced, and its columns still line up.
  const auto at = output.find(
      "\n  CN=\"</style>,O=<script>alert(1)</script> \"q\", </style>\xef\xbf\xbd\xef\xbf\xbdnex… ");
  REQUIRE(at != std::string::npos);
  const auto lets_encrypt = output.find("\n  CN=R3,O=Let's Encrypt,C=US ");
  REQUIRE(lets_encrypt != std::string::npos);
  // Both rows' counts end in the same column (widths in characters, not octets).
  auto count_end = [&](std::size_t line) {
    const auto rest = output.substr(line + 1, output.find('\n', line + 1) - line - 1);
    std::size_t characters = 0;
    for (const char c : rest.substr(0, rest.find_last_not_of(' ') + 1)) {
      characters += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1 : 0;
    }
    return characters;
  };
  CHECK(count_end(at) == count_end(lets_encrypt));
}

TEST_CASE("two runs compared, as text, JSON and CSV", "[unit]") {
  const Fixture fixture;
  const auto db = fixture.db();
  const auto comparison = mx::store::compare_runs(db, fixture.from, fixture.to, provider_of);

  std::ostringstream text_out;
  mx::reports::write_comparison_text(comparison, text_out);
  const auto output = text_out.str();
  CAPTURE(output);
  CHECK(output.starts_with(fmt::format("from run {} (scan, complete", fixture.from)));
  CHECK(output.find(fmt::format("change: run {} minus run {}", fixture.to, fixture.from)) !=
        std::string::npos);
  const auto& status = comparison.tallies.front();
  const auto& pass = status.rows.front();
  CHECK(output.find(fmt::format("  pass {}", std::string(19, ' '))) != std::string::npos);
  CHECK(output.find(fmt::format("{:>+9}  {:>+6.1f}\n", pass.delta(), pass.delta_points())) !=
        std::string::npos);

  std::ostringstream json_out;
  mx::reports::write_comparison_json(comparison, json_out);
  const auto parsed = json::parse(json_out.str()).as_object();
  CHECK(parsed.at("from").at("id").as_int64() == fixture.from);
  CHECK(parsed.at("to").at("id").as_int64() == fixture.to);
  const auto& rows = parsed.at("tallies").at("status").at("rows").as_array();
  REQUIRE(rows.size() == status.rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].at("from").as_int64() == status.rows[i].from);
    CHECK(rows[i].at("to").as_int64() == status.rows[i].to);
    CHECK(rows[i].at("delta").as_int64() == status.rows[i].delta());
    CHECK(rows[i].at("delta_points").to_number<double>() ==
          Approx(status.rows[i].delta_points()).margin(0.005));
  }

  std::ostringstream csv_out;
  mx::reports::write_comparison_csv(comparison, csv_out);
  const auto records = mx::test::parse_csv(csv_out.str());
  std::size_t expected_rows = 1;
  for (const auto& tally : comparison.tallies) {
    expected_rows += tally.rows.size();
  }
  REQUIRE(records.size() == expected_rows);
  CHECK(records.front().size() == 14);
  CHECK(records[1][0].text == "status");
  CHECK(records[1][2].text == "pass");
  CHECK(records[1][5].text == std::to_string(pass.from));
  CHECK(records[1][9].text == std::to_string(pass.to));
  CHECK(records[1][12].text == std::to_string(pass.delta()));
}
