// The HTML report as a browser shows it: `mxscan report` writes the page, headless Chromium
// (Debian's `chromium`) loads it from file:// with #selftest, and the page's own self-test
// (reports/html_assets.hpp) writes what it saw into the DOM, which --dump-dom prints: no error
// and no Content-Security-Policy violation (also none of Chromium's console lines on stderr), the
// style sheet applied, every chart drawn with a size and every nonzero bar visible, each table
// sorted by a click on its header (and reversed by a second), filtered by its text box, and in a
// narrow window no page wider than the window. The database holds attacker-controlled text
// throughout, so this is also the browser's word that it stays inert. Without Chromium the test
// fails: a browser test that cannot run must not pass.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/reports/html_tokens.hpp"
#include "tests/unit/reports/report_fixture.hpp"

namespace {

namespace json = boost::json;

std::string find_chromium() {
  for (const auto* name : {"chromium", "chromium-browser"}) {
    for (const auto* dir : {"/usr/bin", "/usr/local/bin", "/snap/bin"}) {
      const auto path = std::filesystem::path(dir) / name;
      if (access(path.c_str(), X_OK) == 0) {
        return path.string();
      }
    }
  }
  return {};
}

// Chromium with nothing that reaches the network or a desktop; as root it needs --no-sandbox.
std::vector<std::string> chromium_command(const std::string& chromium,
                                          const std::filesystem::path& profile) {
  return {chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
          "--no-first-run", "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--disable-extensions", "--user-data-dir=" + profile.string(),
          // Console messages (errors, CSP violations) go to stderr as "...:CONSOLE...] ..." lines.
          "--enable-logging=stderr", "--v=0"};
}

std::string mxscan_report(const std::filesystem::path& db, std::int64_t run,
                          const std::filesystem::path& out) {
  const auto result = mx::test::run_process({MXSCAN_BINARY, "report", "--db", db.string(), "--run",
                                             std::to_string(run), "--out", out.string()});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return out.string();
}

struct Loaded {
  json::object selftest;
  std::vector<std::string> console;  // Chromium's console lines
};

// Loads `page` with #selftest in a window of `size` and returns what the page reported.
Loaded load(const std::string& chromium, const std::filesystem::path& page, const std::string& size,
            const std::filesystem::path& scratch) {
  const auto profile = scratch / ("profile-" + size);
  std::filesystem::create_directories(profile);
  auto command = chromium_command(chromium, profile);
  command.insert(command.end(), {"--window-size=" + size, "--virtual-time-budget=5000",
                                 "--dump-dom", "file://" + page.string() + "#selftest"});
  const auto result = mx::test::run_process(command, std::chrono::seconds(90));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  Loaded loaded;
  std::istringstream err(result.err);
  for (std::string line; std::getline(err, line);) {
    if (line.find(":CONSOLE") != std::string::npos) {
      loaded.console.push_back(line);
    }
  }
  // The self-test's <pre>: its text is JSON, escaped as --dump-dom escapes text.
  const std::string open = "<pre id=\"selftest\">";
  const auto start = result.out.find(open);
  INFO(result.out.substr(0, 2000));
  REQUIRE(start != std::string::npos);
  const auto end = result.out.find("</pre>", start);
  REQUIRE(end != std::string::npos);
  const auto text =
      mx::test::decode_entities(result.out.substr(start + open.size(), end - start - open.size()));
  loaded.selftest = json::parse(text).as_object();
  return loaded;
}

std::vector<std::string> strings(const json::value& array) {
  std::vector<std::string> out;
  for (const auto& value : array.as_array()) {
    out.emplace_back(value.as_string());
  }
  return out;
}

void check_page(const Loaded& loaded, std::size_t charts_expected) {
  const auto& result = loaded.selftest;
  for (const auto& line : loaded.console) {
    UNSCOPED_INFO(line);
  }
  CHECK(loaded.console.empty());
  CHECK(result.at("problems").as_array().empty());
  CHECK(result.at("style").as_string() == "applied");

  const auto& charts = result.at("charts").as_array();
  CHECK(charts.size() == charts_expected);
  for (const auto& value : charts) {
    const auto& chart = value.as_object();
    CAPTURE(json::serialize(chart));
    CHECK(chart.at("width").to_number<double>() > 100);
    CHECK(chart.at("height").to_number<double>() > 20);
    bool drawn = false;
    for (const auto& bar : chart.at("bars").as_array()) {
      if (bar.at("value").to_number<double>() > 0) {
        CHECK(bar.at("width").to_number<double>() > 0);
        CHECK(bar.at("height").to_number<double>() > 0);
        drawn = true;
      }
    }
    // Every chart of these reports has something to draw.
    CHECK(drawn);
  }

  // The DOM's tables are the data's, each sorted, reversed and filtered by the page itself.
  const auto& tables = result.at("tables").as_array();
  std::size_t with_rows = 0;
  for (const auto& value : result.at("data_tables").as_array()) {
    if (value.at("rows").as_int64() == 0) {
      continue;
    }
    ++with_rows;
    const auto found = std::find_if(tables.begin(), tables.end(), [&](const json::value& t) {
      return t.at("id") == value.at("id");
    });
    REQUIRE(found != tables.end());
    CHECK(static_cast<std::int64_t>(found->at("before").as_array().size()) ==
          value.at("rows").as_int64());
  }
  CHECK(tables.size() == with_rows);
  for (const auto& value : tables) {
    CAPTURE(json::serialize(value));
    const auto before = strings(value.at("before"));
    const auto ascending = strings(value.at("ascending"));
    auto descending = strings(value.at("descending"));
    auto sorted = before;
    std::sort(sorted.begin(), sorted.end());
    auto seen = ascending;
    std::sort(seen.begin(), seen.end());
    CHECK(seen == sorted);  // the same rows, reordered
    std::reverse(descending.begin(), descending.end());
    CHECK(descending == ascending);
    const auto& filter = value.at("filter").as_object();
    CHECK(filter.at("visible").as_int64() >= 1);
    CHECK(filter.at("counter").as_string() ==
          fmt::format("{} of {}", filter.at("visible").as_int64(), before.size()));
  }
}

}  // namespace

TEST_CASE("report: the HTML page in headless Chromium", "[slow]") {
  const auto chromium = find_chromium();
  if (chromium.empty()) {
    FAIL(
        "chromium is not installed: `apt-get install chromium` (scripts/install-deps.sh installs "
        "it); the HTML report's browser test cannot run without it");
  }
  mx::test::TempDir dir;
  const auto db = dir.path() / "report.db";
  const auto nights = mx::test::report::three_nights(db, mx::test::report::kHostile);

  SECTION("a validation: the tables of its sections, its charts and the trend") {
    const auto page = mxscan_report(db, nights.back(), dir.path() / "validation.html");
    const auto desk = load(chromium, page, "1200,1600", dir.path());
    check_page(desk, 6 + 6);  // six charts and one trend per category
    CHECK(desk.selftest.at("tables").as_array().size() == 5);  // urgent, still, undetermined,
                                                               // excluded, removal candidates
    // Headless Chromium keeps windows at least 500 pixels wide: narrower than the 700 below
    // which tables become cards, as on a phone.
    const auto phone = load(chromium, page, "390,844", dir.path());
    check_page(phone, 6 + 6);
    const auto viewport = phone.selftest.at("viewport").as_int64();
    CHECK(viewport <= 500);
    CHECK(phone.selftest.at("page").as_int64() <= viewport);

    // What the README shows, taken the same way (docs/report.png).
    const auto shot = dir.path() / "report.png";
    auto command = chromium_command(chromium, dir.path() / "profile-shot");
    command.insert(command.end(), {"--window-size=1200,1600", "--hide-scrollbars",
                                   "--screenshot=" + shot.string(), "file://" + page});
    const auto result = mx::test::run_process(command, std::chrono::seconds(90));
    INFO(result.err);
    CHECK(result.exit_code == 0);
    std::ifstream png(shot, std::ios::binary);
    std::string signature(8, '\0');
    png.read(signature.data(), 8);
    CHECK(signature == "\x89PNG\r\n\x1A\n");
  }

  SECTION("a scan: the failing domains, sorted by name, then by a click") {
    std::vector<mx::test::report::Site> sites;
    for (int i = 0; i < 6; ++i) {
      mx::test::report::Site site{.domain = fmt::format("f{}.test", 5 - i), .status = "fail"};
      site.failures = {{"mx." + site.domain, "certificate", "fail", "untrusted",
                        "no chain to a trust anchor: " + mx::test::report::kHostile}};
      sites.push_back(site);
    }
    sites.push_back({.domain = "ok.test"});
    const auto run = mx::test::report::add_run(db, "2026-11-04T00:00:00Z", sites);
    const auto page = mxscan_report(db, run, dir.path() / "scan.html");
    const auto loaded = load(chromium, page, "1200,1600", dir.path());
    check_page(loaded, 6);
    const auto& table = loaded.selftest.at("tables").at(0);
    const std::vector<std::string> names{"f0.test", "f1.test", "f2.test",
                                         "f3.test", "f4.test", "f5.test"};
    CHECK(strings(table.at("before")) == names);  // sorted by the server
    CHECK(strings(table.at("ascending")) == names);
    CHECK(strings(table.at("descending")) ==
          std::vector<std::string>(names.rbegin(), names.rend()));
  }
}
