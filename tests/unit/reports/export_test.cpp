// Table exports read back: the CSV through a strict RFC 4180 reader and the JSON Lines through a
// JSON parser, each equal, row by row and column by column, to the database read directly (and
// derived columns computed here), also for values holding markup, quotes, separators and CR LF.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "list/suggest.hpp"
#include "reports/export.hpp"
#include "reports/json_string.hpp"
#include "store/schema.hpp"
#include "tests/support/csv_reader.hpp"
#include "tests/support/sample_runs.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace json = boost::json;
using mx::reports::ExportFilter;
using mx::reports::ExportFormat;
using mx::reports::ExportTable;
using Value = std::optional<std::string>;  // nullopt: NULL
using Row = std::vector<Value>;

// How a column reads back in JSON: s string, i integer, b boolean, w space-separated list as an
// array, j stored JSON embedded.
struct Column {
  std::string name;
  char type;
};

struct Expected {
  std::vector<Column> columns;
  std::vector<Row> rows;
};

std::vector<Row> select(const mx::store::Database& db, const std::string& sql, std::int64_t run,
                        int columns) {
  auto query = db.prepare(sql);
  query.bind(1, run);
  std::vector<Row> rows;
  while (query.step()) {
    Row row;
    for (int i = 0; i < columns; ++i) {
      row.push_back(query.column_is_null(i) ? Value() : Value(query.column_text(i)));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Value joined(const std::vector<std::string>& words) {
  if (words.empty()) {
    return std::nullopt;
  }
  std::string out;
  for (const auto& word : words) {
    out += (out.empty() ? "" : " ") + word;
  }
  return out;
}

std::string base64(const std::vector<std::uint8_t>& bytes) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t chunk = static_cast<std::uint32_t>(bytes[i]) << 16U;
    if (i + 1 < bytes.size()) {
      chunk |= static_cast<std::uint32_t>(bytes[i + 1]) << 8U;
    }
    if (i + 2 < bytes.size()) {
      chunk |= bytes[i + 2];
    }
    out += kAlphabet[(chunk >> 18U) & 63U];
    out += kAlphabet[(chunk >> 12U) & 63U];
    out += i + 1 < bytes.size() ? kAlphabet[(chunk >> 6U) & 63U] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[chunk & 63U] : '=';
  }
  return out;
}

using Endpoint = std::pair<std::string, std::string>;  // (ip, host)

// Endpoints the MX hosts of `domains` used.
std::set<Endpoint> endpoints_of(const mx::store::Database& db, std::int64_t run,
                                const std::set<std::string>& domains) {
  std::set<Endpoint> out;
  for (const auto& a :
       select(db, "SELECT domain, ip, host FROM mx_addresses WHERE run_id = ?1", run, 3)) {
    if (domains.contains(*a[0])) {
      out.insert({*a[1], *a[2]});
    }
  }
  return out;
}

// The rows an export of `table` must hold, read directly; only those of `domains`.
Expected expected_table(const mx::store::Database& db, std::int64_t run, ExportTable table,
                        const std::set<std::string>& domains) {
  Expected e;
  auto keep_domain = [&](std::vector<Row> rows) {
    std::erase_if(rows, [&](const Row& row) { return !domains.contains(*row[0]); });
    return rows;
  };
  switch (table) {
    case ExportTable::domains: {
      e.columns = {{"domain", 's'},  {"status", 's'},     {"mx_hosts", 'w'},
                   {"failing", 'w'}, {"scanned_at", 's'}, {"attempts", 'i'}};
      std::map<std::string, std::vector<std::pair<std::int64_t, std::string>>> hosts;
      for (const auto& h : select(db,
                                  "SELECT domain, preference, host FROM mx_hosts "
                                  "WHERE run_id = ?1",
                                  run, 3)) {
        hosts[*h[0]].push_back({std::stoll(*h[1]), *h[2]});
      }
      std::map<std::string, std::set<std::string>> failing;
      for (const auto& c :
           select(db, "SELECT domain, name, code, status FROM checks WHERE run_id = ?1", run, 4)) {
        if (*c[3] == "fail" || *c[3] == "error") {
          failing[*c[0]].insert(*c[1] + ":" + *c[2]);
        }
      }
      for (const auto& d : keep_domain(
               select(db,
                      "SELECT domain, status, scanned_at, attempts FROM domains WHERE run_id = ?1 "
                      "ORDER BY domain",
                      run, 4))) {
        auto by_preference = hosts[*d[0]];
        std::sort(by_preference.begin(), by_preference.end());
        std::vector<std::string> names;
        for (const auto& [preference, host] : by_preference) {
          names.push_back(host);
        }
        const auto& fails = failing[*d[0]];
        e.rows.push_back({d[0], d[1], joined(names),
                          joined(std::vector<std::string>(fails.begin(), fails.end())), d[2],
                          d[3]});
      }
      break;
    }
    case ExportTable::mx: {
      e.columns = {{"domain", 's'}, {"host", 's'},     {"preference", 'i'},
                   {"status", 's'}, {"provider", 's'}, {"addresses", 'w'}};
      std::map<std::pair<std::string, std::string>, std::vector<std::string>> addresses;
      for (const auto& a :
           select(db, "SELECT domain, host, ip FROM mx_addresses WHERE run_id = ?1", run, 3)) {
        addresses[{*a[0], *a[1]}].push_back(*a[2]);
      }
      for (const auto& h : keep_domain(
               select(db,
                      "SELECT domain, host, preference, status FROM mx_hosts WHERE run_id = ?1 "
                      "ORDER BY domain, host",
                      run, 4))) {
        auto ips = addresses[{*h[0], *h[1]}];
        std::sort(ips.begin(), ips.end());
        e.rows.push_back({h[0], h[1], h[2], h[3],
                          mx::list::registrable_domain(*h[1]).value_or(*h[1]), joined(ips)});
      }
      break;
    }
    case ExportTable::endpoints: {
      e.columns = {{"ip", 's'},         {"port", 'i'},      {"host", 's'},
                   {"stage", 's'},      {"ending", 's'},    {"detail", 's'},
                   {"banner", 's'},     {"starttls", 'b'},  {"tls_version", 's'},
                   {"tls_cipher", 's'}, {"tls_group", 's'}, {"cert_sha256", 's'},
                   {"elapsed_ms", 'i'}};
      const auto used = endpoints_of(db, run, domains);
      for (auto& row : select(db,
                              "SELECT ip, port, host, stage, ending, detail, banner, starttls, "
                              "tls_version, tls_cipher, tls_group, cert_sha256, elapsed_ms "
                              "FROM endpoints WHERE run_id = ?1 ORDER BY ip, port, host",
                              run, 13)) {
        if (used.contains({*row[0], *row[2]})) {
          e.rows.push_back(std::move(row));
        }
      }
      break;
    }
    case ExportTable::checks:
      e.columns = {{"domain", 's'}, {"subject", 's'}, {"host", 's'}, {"ip", 's'},
                   {"name", 's'},   {"status", 's'},  {"code", 's'}, {"message", 's'}};
      e.rows = keep_domain(select(db,
                                  "SELECT domain, subject, host, ip, name, status, code, message "
                                  "FROM checks WHERE run_id = ?1 "
                                  "ORDER BY domain, subject, host, ip, name",
                                  run, 8));
      break;
    case ExportTable::certificates: {
      e.columns = {{"sha256", 's'},    {"subject", 's'},    {"issuer", 's'},
                   {"san", 'j'},       {"not_before", 's'}, {"not_after", 's'},
                   {"key_type", 's'},  {"key_bits", 'i'},   {"signature_algorithm", 's'},
                   {"endpoints", 'i'}, {"der", 's'}};
      const auto used = endpoints_of(db, run, domains);
      std::map<std::string, std::int64_t> served;
      for (const auto& row : select(db,
                                    "SELECT ip, host, cert_sha256 FROM endpoints "
                                    "WHERE run_id = ?1 AND cert_sha256 IS NOT NULL",
                                    run, 3)) {
        if (used.contains({*row[0], *row[1]})) {
          ++served[*row[2]];
        }
      }
      auto query = db.prepare(
          "SELECT sha256, subject, issuer, san, not_before, not_after, key_type, key_bits, "
          "signature_algorithm, der FROM certificates ORDER BY sha256");
      while (query.step()) {
        const auto sha = query.column_text(0);
        if (!served.contains(sha)) {
          continue;
        }
        Row row;
        for (int i = 0; i < 9; ++i) {
          row.push_back(query.column_text(i));
        }
        row.push_back(std::to_string(served[sha]));
        row.push_back(base64(query.column_blob(9)));
        e.rows.push_back(std::move(row));
      }
      break;
    }
    case ExportTable::mta_sts:
      e.columns = {{"domain", 's'},  {"record_id", 's'}, {"mode", 's'},
                   {"max_age", 'i'}, {"mx", 'j'},        {"body", 's'}};
      e.rows = keep_domain(select(db,
                                  "SELECT domain, record_id, mode, max_age, mx, body "
                                  "FROM mta_sts_policies WHERE run_id = ?1 ORDER BY domain",
                                  run, 6));
      break;
  }
  return e;
}

std::string run_export(const mx::store::Database& db, std::int64_t run, ExportTable table,
                       ExportFormat format, const ExportFilter& filter = {}) {
  std::ostringstream out;
  const auto count = mx::reports::export_table(db, run, table, format, filter, out);
  const auto text = std::move(out).str();
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  if (format == ExportFormat::jsonl) {
    CHECK(count == lines);
  }
  return text;
}

void check_csv(const std::string& csv, const Expected& expected) {
  const auto records = mx::test::parse_csv(csv);
  REQUIRE(!records.empty());
  REQUIRE(records.front().size() == expected.columns.size());
  for (std::size_t c = 0; c < expected.columns.size(); ++c) {
    CHECK(records.front()[c].text == expected.columns[c].name);
  }
  REQUIRE(records.size() == expected.rows.size() + 1);
  for (std::size_t r = 0; r < expected.rows.size(); ++r) {
    const auto& record = records[r + 1];
    REQUIRE(record.size() == expected.columns.size());
    for (std::size_t c = 0; c < record.size(); ++c) {
      CAPTURE(r, expected.columns[c].name);
      const auto& want = expected.rows[r][c];
      CHECK(record[c].is_null() == !want.has_value());
      CHECK(record[c].text == want.value_or(""));
    }
  }
}

// The JSON a column value must read back as.
json::value expected_json(const Value& value, char type) {
  if (!value) {
    return type == 'w' ? json::value(json::array()) : json::value(nullptr);
  }
  switch (type) {
    case 'i':
      return std::stoll(*value);
    case 'b':
      return *value != "0";
    case 'j':
      return json::parse(*value);
    case 'w': {
      json::array words;
      std::istringstream in(*value);
      for (std::string word; in >> word;) {
        words.emplace_back(word);
      }
      return words;
    }
    default:
      return json::string(*value);
  }
}

void check_jsonl(const std::string& jsonl, const Expected& expected) {
  std::istringstream in(jsonl);
  std::size_t r = 0;
  for (std::string line; std::getline(in, line); ++r) {
    REQUIRE(r < expected.rows.size());
    const auto object = json::parse(line).as_object();
    REQUIRE(object.size() == expected.columns.size());
    std::size_t c = 0;
    for (const auto& [key, value] : object) {
      CAPTURE(r, line);
      REQUIRE(std::string(key) == expected.columns[c].name);
      CHECK(value == expected_json(expected.rows[r][c], expected.columns[c].type));
      ++c;
    }
  }
  CHECK(r == expected.rows.size());
}

// Domains of the run that one plain query names.
std::set<std::string> domains_of(const mx::store::Database& db, std::int64_t run,
                                 const std::string& sql) {
  std::set<std::string> out;
  for (const auto& row : select(db, sql, run, 1)) {
    out.insert(*row[0]);
  }
  return out;
}

}  // namespace

TEST_CASE("every table exported as CSV and JSON Lines reads back as the database's rows",
          "[unit]") {
  const mx::test::TempDir dir;
  const auto path = dir.path() / "scan.db";
  mx::test::store_sample_run(path, 20, 0);
  const auto run = mx::test::store_sample_run(path, 37, 1);
  const auto db = mx::store::open_for_reading(path);
  std::set<std::string> all;
  for (const auto& d : select(db, "SELECT domain FROM domains WHERE run_id = ?1", run, 1)) {
    all.insert(*d[0]);
  }
  const auto table = GENERATE(ExportTable::domains, ExportTable::mx, ExportTable::endpoints,
                              ExportTable::checks, ExportTable::certificates, ExportTable::mta_sts);
  CAPTURE(mx::reports::export_table_name(table));
  const auto expected = expected_table(db, run, table, all);
  REQUIRE(expected.rows.size() >= 5);

  SECTION("CSV") {
    const auto csv = run_export(db, run, table, ExportFormat::csv);
    check_csv(csv, expected);
  }
  SECTION("JSON Lines") {
    const auto jsonl = run_export(db, run, table, ExportFormat::jsonl);
    check_jsonl(jsonl, expected);
    // Markup from peers is escaped: the text is inert pasted into HTML, and equal once parsed.
    CHECK(jsonl.find("<script>") == std::string::npos);
    CHECK(jsonl.find("</style>") == std::string::npos);
    CHECK(jsonl.find('\r') == std::string::npos);
  }
  SECTION("filtered by status") {
    const auto kept =
        domains_of(db, run, "SELECT domain FROM domains WHERE run_id = ?1 AND status = 'fail'");
    REQUIRE(!kept.empty());
    const ExportFilter filter{"fail", std::nullopt, std::nullopt};
    check_csv(run_export(db, run, table, ExportFormat::csv, filter),
              expected_table(db, run, table, kept));
    check_jsonl(run_export(db, run, table, ExportFormat::jsonl, filter),
                expected_table(db, run, table, kept));
  }
  SECTION("filtered by a check and code at any level") {
    const auto kept = domains_of(db, run,
                                 "SELECT domain FROM checks WHERE run_id = ?1 "
                                 "AND name = 'starttls' AND code = 'not-advertised'");
    REQUIRE(!kept.empty());
    REQUIRE(kept.size() < all.size());
    const ExportFilter filter{std::nullopt, "starttls", "not-advertised"};
    check_csv(run_export(db, run, table, ExportFormat::csv, filter),
              expected_table(db, run, table, kept));
  }
  SECTION("filtered by a check name and a status together") {
    const auto with_tlsrpt = domains_of(
        db, run, "SELECT domain FROM checks WHERE run_id = ?1 AND name = 'tlsrpt.record'");
    std::set<std::string> kept;
    for (const auto& d :
         select(db, "SELECT domain FROM domains WHERE run_id = ?1 AND status = 'warn'", run, 1)) {
      if (with_tlsrpt.contains(*d[0])) {
        kept.insert(*d[0]);
      }
    }
    REQUIRE(!kept.empty());
    const ExportFilter filter{"warn", "tlsrpt.record", std::nullopt};
    check_jsonl(run_export(db, run, table, ExportFormat::jsonl, filter),
                expected_table(db, run, table, kept));
  }
}

TEST_CASE("the domains CSV keeps today's layout; domain objects are the stored JSON", "[unit]") {
  const mx::test::TempDir dir;
  const auto path = dir.path() / "scan.db";
  const auto run = mx::test::store_sample_run(path, 6, 0);
  const auto db = mx::store::open_for_reading(path);
  std::ostringstream csv;
  CHECK(mx::reports::export_table(db, run, ExportTable::domains, ExportFormat::csv, {}, csv) == 6);
  const auto text = csv.str();
  CHECK(
      text.starts_with("domain,status,mx_hosts,failing,scanned_at,attempts\r\n"
                       "d0.test,pass,aspmx.l.google.com alt1.aspmx.l.google.com,"
                       "certificate:expired,2026-11-01T00:00:00Z,1\r\n"));
  // A null MX domain: no hosts, and NULL is an empty field.
  CHECK(text.find("\r\nd4.test,warn,,mx:null-mx") != std::string::npos);

  std::ostringstream jsonl;
  CHECK(mx::reports::export_domain_objects(db, run, {}, jsonl) == 6);
  std::string expected;
  for (const auto& row :
       select(db, "SELECT result FROM domains WHERE run_id = ?1 ORDER BY domain", run, 1)) {
    expected += *row[0] + "\n";
  }
  CHECK(jsonl.str() == expected);
  std::ostringstream failing;
  CHECK(mx::reports::export_domain_objects(db, run, {"fail", std::nullopt, std::nullopt},
                                           failing) == 1);
  CHECK(json::parse(failing.str()).at("domain") == "d2.test");
}

TEST_CASE("table names", "[unit]") {
  for (const auto* name : {"domains", "mx", "endpoints", "checks", "certificates", "mta-sts"}) {
    const auto table = mx::reports::parse_export_table(name);
    REQUIRE(table.has_value());
    CHECK(mx::reports::export_table_name(*table) == name);
  }
  CHECK_FALSE(mx::reports::parse_export_table("mta_sts").has_value());
  CHECK_FALSE(mx::reports::parse_export_table("").has_value());
}

TEST_CASE("JSON strings: escapes, inert markup, and octets that are not UTF-8", "[unit]") {
  using mx::reports::json_string;
  CHECK(json_string("plain") == R"("plain")");
  CHECK(json_string("a\"b\\c") == R"("a\"b\\c")");
  CHECK(json_string("</script><!--&") == R"("\u003c/script\u003e\u003c!--\u0026")");
  CHECK(json_string("\r\n\t\x01\x1f") == R"("\r\n\t\u0001\u001f")");
  CHECK(json_string("caf\xc3\xa9 \xf0\x9f\x98\x80") == "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  CHECK(json_string("\xe2\x80\xa8\xe2\x80\xa9") == R"("\u2028\u2029")");
  // Invalid UTF-8: a lone continuation octet, a truncated sequence, an overlong form, a surrogate.
  CHECK(json_string("a\x80z") == R"("a\ufffdz")");
  CHECK(json_string("a\xc3") == R"("a\ufffd")");
  CHECK(json_string("\xc0\xaf") == R"("\ufffd\ufffd")");
  CHECK(json_string("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")");
  CHECK(json_string(std::string("a\0b", 3)) == R"("a\u0000b")");
  // Whatever the input, the result parses back to valid UTF-8 text.
  const std::string hostile = mx::test::kHostile + "\xff\xfe";
  const auto parsed = json::value_to<std::string>(json::parse(json_string(hostile)));
  CHECK(parsed.starts_with("<script>alert(1)</script> \"q\", </style>\r\n"));
  CHECK(parsed.ends_with("&amp;\xef\xbf\xbd\xef\xbf\xbd"));
}
