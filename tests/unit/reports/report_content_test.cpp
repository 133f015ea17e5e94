// What a report holds, from databases written through the store: the figures and charts are
// store/stats.hpp's aggregates, the failure codes agree with the tables' reasons, a validation's
// tables are validate's sections and its trend the author's history, a scan's tables are cut to
// --max-rows, and HTML, Markdown and JSON carry the same content.
#include <algorithm>
#include <map>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "list/suggest.hpp"
#include "reports/report_format.hpp"
#include "reports/report_json.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/reports/html_tokens.hpp"
#include "tests/unit/reports/report_fixture.hpp"

namespace {

namespace json = boost::json;
using mx::reports::BarChart;
using mx::reports::RunReport;

const BarChart& chart(const RunReport& report, std::string_view id) {
  const auto found = std::find_if(report.charts.begin(), report.charts.end(),
                                  [&](const BarChart& c) { return c.id == id; });
  REQUIRE(found != report.charts.end());
  return *found;
}

std::map<std::string, std::int64_t> bars(const BarChart& chart) {
  std::map<std::string, std::int64_t> out;
  for (const auto& bar : chart.bars) {
    out[bar.label] = bar.value;
  }
  return out;
}

std::vector<std::string> domains_of(const mx::reports::DomainTable& table) {
  std::vector<std::string> out;
  for (const auto& entry : table.rows) {
    out.push_back(entry.domain);
  }
  return out;
}

// Rows of each <table class="domains"> of an HTML report, by the table's id.
std::map<std::string, std::size_t> html_rows(const std::string& html) {
  std::map<std::string, std::size_t> out;
  std::string table;
  bool body = false;
  for (const auto& token : mx::test::tokenize_html(html)) {
    using Kind = mx::test::HtmlToken::Kind;
    if (token.kind == Kind::start_tag && token.name == "table" && token.attribute("id")) {
      table = *token.attribute("id");
      out[table] = 0;
    } else if (token.kind == Kind::start_tag && token.name == "tbody") {
      body = true;
    } else if (token.kind == Kind::end_tag && token.name == "tbody") {
      body = false;
    } else if (token.kind == Kind::start_tag && token.name == "tr" && body) {
      ++out[table];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("report of a validation: validate's sections, the trend, the run's aggregates",
          "[unit]") {
  mx::test::TempDir dir;
  const auto path = dir.path() / "v.db";
  const auto nights = mx::test::report::three_nights(path);
  const auto db = mx::store::open_for_reading(path);
  const auto report = mx::reports::load_run_report(db, nights[2], {});

  REQUIRE(report.validation);
  CHECK(report.validation->previous_run == nights[1]);
  std::vector<std::string> ids;
  for (const auto& table : report.tables) {
    ids.push_back(table.id);
    CHECK(table.validation);
    CHECK(table.total == static_cast<std::int64_t>(table.rows.size()));
  }
  CHECK(ids == std::vector<std::string>{"urgent", "newly-failing", "still-failing", "undetermined",
                                        "recovered", "excluded", "removal-candidates"});
  CHECK(domains_of(report.tables[0]) == std::vector<std::string>{"broken.test", "plain text"});
  CHECK(domains_of(report.tables[2]) == std::vector<std::string>{"expired.test"});
  CHECK(report.tables[2].rows[0].since == "2 validations since 2026-11-02T03:00:00Z");
  CHECK(domains_of(report.tables[3]) == std::vector<std::string>{"silent.test"});
  CHECK(report.tables[3].rows[0].reasons.at(0).check_code() == "connect:timeout");
  CHECK(domains_of(report.tables[5]) == std::vector<std::string>{"optout.test"});
  REQUIRE(report.tables[5].rows[0].reasons.size() == 1);  // the --exclude entry that skipped it
  CHECK(report.tables[5].rows[0].reasons[0].check_code() == "mx:excluded");
  CHECK(domains_of(report.tables[6]) == std::vector<std::string>{"broken.test", "plain text"});
  const auto& broken = report.tables[0].rows[0];
  CHECK(broken.urgent);
  CHECK(broken.mode == "enforce");
  REQUIRE(broken.reasons.size() == 1);
  CHECK(broken.reasons[0].where == "mx.broken.test");
  CHECK(broken.reasons[0].check_code() == "starttls:not-advertised");

  // The author's nights, oldest first, with their categories.
  REQUIRE(report.history.size() == 3);
  CHECK(report.history[0].run == nights[0]);
  CHECK(report.history[0].categories.at("newly-failing") == 3);  // broken, mended, plain text
  CHECK(report.history[1].categories.at("recovered") == 1);      // mended
  CHECK(report.history[1].categories.at("undetermined") == 1);   // silent
  CHECK(report.history[2].categories.at("still-failing") == 3);
  CHECK(report.history[2].urgent == 2);

  // Charts are the store's aggregates.
  const mx::store::ProviderOf provider_of = [](std::string_view host) {
    return mx::list::registrable_domain(host);
  };
  const auto stats = mx::store::collect_stats(db, nights[2], provider_of, {.top = 10, .keep = {}});
  CHECK(bars(chart(report, "status")) ==
        std::map<std::string, std::int64_t>{
            {"pass", 8}, {"warn", 4}, {"fail", 3}, {"error", 1}, {"skipped", 1}});
  CHECK(chart(report, "status").total == stats.status.total);
  CHECK(bars(chart(report, "providers")).at("bigmail.test") == 7);
  CHECK(bars(chart(report, "providers")).at("hosted.test") == 4);
  CHECK(bars(chart(report, "tls-versions")).at("TLSv1.2") == 1);  // one endpoint, four domains
  CHECK(bars(chart(report, "mta-sts")).at("enforce") == 4);
  CHECK(bars(chart(report, "issuers")).at("CN=R3, O=Let's Encrypt, C=US") == 6);
  // The failure codes are the tables' reasons counted: each domain once per code.
  CHECK(bars(chart(report, "failures")) ==
        std::map<std::string, std::int64_t>{{"starttls:not-advertised", 1},
                                            {"certificate:expired", 1},
                                            {"connect:timeout", 1},
                                            {"mta-sts.policy:syntax", 1},
                                            {"smtp:protocol", 1}});
  const auto figure = std::find_if(report.figures.begin(), report.figures.end(),
                                   [](const auto& f) { return f.id == "starttls"; });
  REQUIRE(figure != report.figures.end());
  CHECK(figure->count == 15);  // every domain but broken.test
  CHECK(figure->total == 16);  // optout.test was not looked at

  SECTION("Markdown is validate's report, then the rest") {
    const auto markdown = mx::reports::render_report(report, mx::reports::ReportFormat::markdown);
    const auto validation = mx::reports::load_validation_report(db, nights[2], 3);
    CHECK(markdown.starts_with(mx::reports::validation_markdown(validation)));
    for (const auto* part : {"## Figures", "## Categories across validations", "## Charts",
                             "### Top failure codes", "### Largest MX providers"}) {
      CAPTURE(part);
      CHECK(markdown.find(part) != std::string::npos);
    }
    CHECK(markdown.find(fmt::format("| {} | 2026-11-03T03:00:00Z | 0 | 3 | 0 | 1 | 12 | 1 | 2 |",
                                    nights[2])) != std::string::npos);
  }
  SECTION("JSON and HTML carry the same tables, charts and trend") {
    const auto object = mx::reports::report_json(report);
    CHECK(object.at("run").at("id").as_int64() == nights[2]);
    CHECK(object.at("validation").at("urgent").as_int64() == 2);
    CHECK(object.at("validation").at("categories").at("still-failing").as_int64() == 3);
    CHECK(object.at("validation").at("categories").at("excluded").as_int64() == 1);
    CHECK(object.at("trend").as_array().size() == 3);
    CHECK(object.at("charts").as_array().size() == report.charts.size());
    const auto html = mx::reports::render_report(report, mx::reports::ReportFormat::html);
    const auto rows = html_rows(html);
    for (const auto& table : object.at("tables").as_array()) {
      const auto id = "table-" + std::string(table.at("id").as_string());
      const auto count = table.at("rows").as_array().size();
      CAPTURE(id);
      if (count == 0) {
        CHECK_FALSE(rows.contains(id));
      } else {
        CHECK(rows.at(id) == count);
      }
    }
    for (const auto& chart : report.charts) {
      CHECK(html.find("id=\"chart-" + chart.id + "\"") != std::string::npos);
    }
    for (const auto category : mx::reports::kValidationCategories) {
      CHECK(html.find(fmt::format("id=\"trend-{}\"", category)) != std::string::npos);
    }
  }
}

TEST_CASE("report of the first validation: nothing to compare with, one night", "[unit]") {
  mx::test::TempDir dir;
  const auto path = dir.path() / "v.db";
  const auto nights = mx::test::report::three_nights(path);
  const auto db = mx::store::open_for_reading(path);
  const auto report = mx::reports::load_run_report(db, nights[0], {});
  REQUIRE(report.validation);
  CHECK_FALSE(report.validation->previous_run);
  CHECK(report.history.size() == 1);
  const auto html = mx::reports::render_report(report, mx::reports::ReportFormat::html);
  CHECK(html.find("the first validation of this list") != std::string::npos);
  // Nothing excluded in its history: the contract's five categories, as validate's summary says.
  CHECK(html.find("id=\"trend-passing\"") != std::string::npos);
  CHECK(html.find("id=\"trend-excluded\"") == std::string::npos);
  CHECK(html.find("<td>excluded</td>") == std::string::npos);
  const auto markdown = mx::reports::render_report(report, mx::reports::ReportFormat::markdown);
  CHECK(markdown.find(" passing | urgent |") != std::string::npos);
  CHECK(mx::reports::report_json(report).at("validation").at("categories").at("excluded") == 0);
}

TEST_CASE("report of a scan: failing and undetermined domains, cut to --max-rows", "[unit]") {
  mx::test::TempDir dir;
  const auto path = dir.path() / "s.db";
  std::vector<mx::test::report::Site> sites;
  for (int i = 0; i < 5; ++i) {
    mx::test::report::Site site{.domain = fmt::format("f{}.test", 4 - i), .status = "fail"};
    site.failures = {{"mx." + site.domain, "starttls", "fail", "not-advertised", "no STARTTLS"}};
    sites.push_back(site);
  }
  mx::test::report::Site undetermined{.domain = "u.test", .status = "error"};
  undetermined.failures = {{"mx.u.test", "smtp", "error", "timeout", "no greeting"}};
  sites.push_back(undetermined);
  sites.push_back({.domain = "ok.test"});
  const auto run = mx::test::report::add_run(path, "2026-11-05T00:00:00Z", sites);
  const auto db = mx::store::open_for_reading(path);

  mx::reports::ReportOptions options;
  options.max_rows = 2;
  const auto report = mx::reports::load_run_report(db, run, options);
  CHECK_FALSE(report.validation);
  CHECK(report.history.empty());
  REQUIRE(report.tables.size() == 2);
  CHECK(report.tables[0].id == "failing");
  CHECK(report.tables[0].total == 5);
  CHECK(domains_of(report.tables[0]) == std::vector<std::string>{"f0.test", "f1.test"});
  CHECK(report.tables[1].total == 1);
  CHECK(report.tables[1].rows.at(0).reasons.at(0).check_code() == "smtp:timeout");
  // Cut tables still count every domain in the failure codes.
  CHECK(bars(chart(report, "failures")).at("starttls:not-advertised") == 5);

  const auto html = mx::reports::render_report(report, mx::reports::ReportFormat::html);
  CHECK(html.find("The first 2 of 5, by name") != std::string::npos);
  CHECK(html.find("STARTTLS policy list") == std::string::npos);
  const auto markdown = mx::reports::render_report(report, mx::reports::ReportFormat::markdown);
  CHECK(markdown.starts_with("# mxscan report"));
  CHECK(markdown.find("## Failing domains (5)") != std::string::npos);
  CHECK(markdown.find("The first 2 of 5, by name") != std::string::npos);
  const auto object =
      json::parse(mx::reports::render_report(report, mx::reports::ReportFormat::json));
  CHECK(object.at("validation").is_null());
  CHECK(object.at("tables").at(0).at("total").as_int64() == 5);
  CHECK(object.at("tables").at(0).at("rows").as_array().size() == 2);

  options.max_rows = 0;
  CHECK(mx::reports::load_run_report(db, run, options).tables[0].rows.size() == 5);
}

TEST_CASE("report formats: by name and by file extension", "[unit]") {
  using mx::reports::ReportFormat;
  CHECK(mx::reports::parse_report_format("html") == ReportFormat::html);
  CHECK(mx::reports::parse_report_format("md") == ReportFormat::markdown);
  CHECK(mx::reports::parse_report_format("json") == ReportFormat::json);
  CHECK_FALSE(mx::reports::parse_report_format("pdf"));
  CHECK(mx::reports::report_format_of("out/Report.HTML") == ReportFormat::html);
  CHECK(mx::reports::report_format_of("r.htm") == ReportFormat::html);
  CHECK(mx::reports::report_format_of("r.markdown") == ReportFormat::markdown);
  CHECK(mx::reports::report_format_of("r.json") == ReportFormat::json);
  CHECK_FALSE(mx::reports::report_format_of("r.txt"));
  CHECK_FALSE(mx::reports::report_format_of("html"));
}
