// `mxscan challenge new|verify|list` end to end: the binary against the loopback world's DNS
// server. `new` needs no DNS, so each test makes its request first and then starts a server whose
// zone holds (or not) the record that `new` printed.
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "scanner/cli/challenge_command.hpp"
#include "store/schema.hpp"
#include "tests/support/background_dns.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using mx::test::BackgroundDns;
using mx::test::ProcessResult;
using mx::world::Behaviour;
using mx::world::Zone;
namespace json = boost::json;

ProcessResult mxscan(std::vector<std::string> args) {
  args.insert(args.begin(), MXSCAN_BINARY);
  return mx::test::run_process(args);
}

struct Db {
  mx::test::TempDir dir;
  std::string path = (dir.path() / "list.db").string();
};

// `challenge new --json`: the request, which must have been recorded.
json::object new_request(const Db& db, const std::string& domain,
                         std::vector<std::string> extra = {"--action", "remove"}) {
  std::vector<std::string> args{"challenge", "new", domain, "--db", db.path, "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto result = mxscan(args);
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return json::parse(result.out).as_object();
}

std::string text(const json::value& value) {
  return std::string(value.as_string());
}

std::string record_value(const json::object& request) {
  return text(request.at("record").at("value"));
}

ProcessResult verify(const BackgroundDns& dns, const Db& db, const std::string& domain,
                     bool json_output = true, const std::string& timeout = "2") {
  std::vector<std::string> args{"challenge",  "verify",       domain,      "--db", db.path,
                                "--resolver", dns.resolver(), "--timeout", timeout};
  if (json_output) {
    args.emplace_back("--json");
  }
  return mxscan(args);
}

json::object verify_json(const ProcessResult& result) {
  INFO(result.out << result.err);
  REQUIRE(!result.out.empty());
  return json::parse(result.out).as_object();
}

// `challenge list --json`, by request id.
std::map<std::int64_t, json::object> requests(const Db& db) {
  const auto result = mxscan({"challenge", "list", "--db", db.path, "--json"});
  REQUIRE(result.exit_code == 0);
  std::map<std::int64_t, json::object> out;
  std::istringstream in(result.out);
  for (std::string line; std::getline(in, line);) {
    auto object = json::parse(line).as_object();
    out[object.at("request").as_int64()] = std::move(object);
  }
  return out;
}

std::string outcome_of(const Db& db, const json::object& request) {
  return text(requests(db).at(request.at("request").as_int64()).at("outcome"));
}

}  // namespace

TEST_CASE("challenge: the record that new prints is the one verify accepts", "[loopback]") {
  const Db db;
  const auto result =
      mxscan({"challenge", "new", "Example.TEST.", "--action", "remove", "--db", db.path});
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  const std::regex record_line(
      R"re(_starttls-policy\.example\.test\. 3600 IN TXT "(v=STARTTLS-POLICY1; action=remove; token=([0-9a-f]+))")re");
  std::smatch match;
  REQUIRE(std::regex_search(result.out, match, record_line));
  CHECK(match[2].length() == 64);  // 256 bits
  CHECK(result.out.find("mxscan challenge verify example.test --db " + db.path) !=
        std::string::npos);

  Zone zone;
  zone.add_txt("_starttls-policy.example.test", {"v=spf1 -all"});
  zone.add_txt("_starttls-policy.example.test", {match[1].str()});
  const BackgroundDns dns(zone);
  const auto verified = verify(dns, db, "example.test", false);
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);
  CHECK(verified.out.find("verified") != std::string::npos);

  const auto rows = requests(db);
  REQUIRE(rows.size() == 1);
  const auto& row = rows.begin()->second;
  CHECK(text(row.at("outcome")) == "verified");
  CHECK(text(row.at("token")) == match[2].str());
  CHECK(row.at("verified_at").is_string());
  // Verified once: there is nothing pending left to verify.
  CHECK(verify(dns, db, "example.test").exit_code == 2);
}

TEST_CASE("challenge: tokens are 256 random bits, different for every request", "[loopback]") {
  const Db db;
  std::set<std::string> tokens;
  for (int i = 0; i < 8; ++i) {
    const auto request = new_request(db, "d" + std::to_string(i) + ".test");
    const auto token = text(request.at("token"));
    CHECK(std::regex_match(token, std::regex("[0-9a-f]{64}")));
    CHECK(record_value(request) == "v=STARTTLS-POLICY1; action=remove; token=" + token);
    tokens.insert(token);
  }
  CHECK(tokens.size() == 8);
}

TEST_CASE("challenge: verify accepts one record of joined strings, whitespace around it",
          "[loopback]") {
  const Db db;
  const auto split = new_request(db, "split.test");
  const auto padded = new_request(
      db, "padded.test", {"--action", "update", "--mxs", "*.Mail.Example.NET,mx.padded.test."});
  CHECK(json::serialize(padded.at("mxs")) == R"([".mail.example.net","mx.padded.test"])");
  const auto value = record_value(split);
  Zone zone;
  zone.add_txt("_starttls-policy.split.test", {value.substr(0, 20), value.substr(20)});
  zone.add_txt("_starttls-policy.padded.test", {" \t" + record_value(padded) + " "});
  const BackgroundDns dns(zone);

  const auto split_result = verify(dns, db, "split.test");
  CHECK(split_result.exit_code == 0);
  const auto split_json = verify_json(split_result);
  CHECK(text(split_json.at("outcome")) == "verified");
  CHECK(text(split_json.at("domain")) == "split.test");
  CHECK(text(split_json.at("action")) == "remove");
  CHECK(split_json.at("request") == split.at("request"));
  CHECK(split_json.at("found").as_array().size() == 1);

  const auto padded_json = verify_json(verify(dns, db, "padded.test"));
  CHECK(text(padded_json.at("outcome")) == "verified");
  CHECK(text(padded_json.at("action")) == "update");
  CHECK(outcome_of(db, padded) == "verified");
}

TEST_CASE("challenge: an absent record is exit 1 and leaves the request pending", "[loopback]") {
  const Db db;
  const auto nxdomain = new_request(db, "nx.test");
  const auto nodata = new_request(db, "nodata.test");
  Zone zone;
  zone.add_a("_starttls-policy.nodata.test", "192.0.2.1");
  const BackgroundDns dns(zone);

  const auto missing = verify(dns, db, "nx.test");
  CHECK(missing.exit_code == 1);
  const auto missing_json = verify_json(missing);
  CHECK(text(missing_json.at("outcome")) == "absent");
  CHECK(text(missing_json.at("dns")) == "nxdomain");
  CHECK(missing_json.at("found").as_array().empty());

  const auto empty = verify(dns, db, "nodata.test", false);
  CHECK(empty.exit_code == 1);
  CHECK(empty.out.find("no TXT record at _starttls-policy.nodata.test (nodata)") !=
        std::string::npos);
  CHECK(empty.out.find(record_value(nodata)) != std::string::npos);

  CHECK(outcome_of(db, nxdomain) == "pending");
  CHECK(outcome_of(db, nodata) == "pending");
}

TEST_CASE("challenge: verify refuses to ask a name the exclude list covers", "[loopback]") {
  const Db db;
  const auto request = new_request(db, "optout.test");
  Zone zone;
  zone.add_txt("_starttls-policy.optout.test", {record_value(request)});
  const BackgroundDns dns(zone);
  const auto exclude = (db.dir.path() / "exclude.conf").string();
  std::ofstream(exclude) << "optout.test\n";
  const auto result = mxscan({"challenge", "verify", "optout.test", "--db", db.path, "--resolver",
                              dns.resolver(), "--exclude", exclude});
  CHECK(result.exit_code == 2);
  CHECK(result.err.find("_starttls-policy.optout.test is excluded by the exclude list, line 1") !=
        std::string::npos);
  CHECK(dns.names_asked().empty());
  CHECK(outcome_of(db, request) == "pending");
}

TEST_CASE("challenge: a wrong record is exit 1 and shows what was found, made safe", "[loopback]") {
  const Db db;
  const auto request = new_request(db, "wrong.test");
  const std::string hostile =
      "v=STARTTLS-POLICY1; action=remove; token=0\x1b[2J\r\n" + std::string(300, 'x');
  Zone zone;
  zone.add_txt("_starttls-policy.wrong.test", {hostile.substr(0, 250), hostile.substr(250)});
  zone.add_txt("_starttls-policy.wrong.test",
               {"v=STARTTLS-POLICY1; action=update; token=" + text(request.at("token"))});
  const BackgroundDns dns(zone);

  const auto result = verify(dns, db, "wrong.test", false);
  CHECK(result.exit_code == 1);
  INFO(result.out);
  CHECK(result.out.find("not verified") != std::string::npos);
  CHECK(result.out.find("found:") != std::string::npos);
  CHECK(result.out.find("token=0\\x1b[2J\\x0d\\x0axxx") != std::string::npos);
  CHECK(result.out.find('\x1b') == std::string::npos);
  CHECK(result.out.find('\r') == std::string::npos);
  CHECK(result.out.find(std::string(200, 'x')) == std::string::npos);
  CHECK(result.out.find("action=update; token=" + text(request.at("token"))) != std::string::npos);

  const auto json_result = verify_json(verify(dns, db, "wrong.test"));
  CHECK(text(json_result.at("outcome")) == "mismatch");
  const auto& found = json_result.at("found").as_array();
  REQUIRE(found.size() == 2);
  for (const auto& record : found) {
    const auto shown = text(record);
    CHECK(shown.size() <= 200 * 4 + 3);
    CHECK(shown.find_first_of("\x1b\r\n") == std::string::npos);
  }
  CHECK(outcome_of(db, request) == "pending");
}

TEST_CASE("challenge: an expired request is exit 1 and recorded expired", "[loopback]") {
  const Db db;
  const auto request = new_request(db, "late.test");
  {
    auto store = mx::store::open_for_writing(db.path);
    store.exec("UPDATE challenges SET expires_at = '2020-01-01T00:00:00Z'");
  }
  Zone zone;
  zone.add_txt("_starttls-policy.late.test", {record_value(request)});
  const BackgroundDns dns(zone);

  const auto result = verify(dns, db, "late.test");
  CHECK(result.exit_code == 1);
  CHECK(text(verify_json(result).at("outcome")) == "expired");
  CHECK(outcome_of(db, request) == "expired");
  const auto again = verify(dns, db, "late.test");
  CHECK(again.exit_code == 2);
  CHECK(again.err.find("request 1, is expired") != std::string::npos);
}

TEST_CASE("challenge: a lookup that is not answered is undetermined, exit 3", "[loopback]") {
  const Db db;
  const auto servfail = new_request(db, "servfail.test");
  const auto refused = new_request(db, "refused.test");
  const auto silent = new_request(db, "silent.test");
  Zone zone;
  zone.add_txt("_starttls-policy.servfail.test", {record_value(servfail)});
  zone.set_behaviour("_starttls-policy.servfail.test", {.reply = Behaviour::Reply::servfail});
  zone.set_behaviour("_starttls-policy.refused.test", {.reply = Behaviour::Reply::refused});
  zone.set_behaviour("_starttls-policy.silent.test", {.reply = Behaviour::Reply::silent});
  const BackgroundDns dns(zone);

  const auto failed = verify(dns, db, "servfail.test");
  CHECK(failed.exit_code == 3);
  CHECK(text(verify_json(failed).at("outcome")) == "undetermined");
  CHECK(text(verify_json(failed).at("dns")) == "servfail");
  CHECK(verify(dns, db, "refused.test").exit_code == 3);
  const auto timed_out = verify(dns, db, "silent.test", false, "0.3");
  CHECK(timed_out.exit_code == 3);
  CHECK(timed_out.out.find("undetermined: the TXT lookup of _starttls-policy.silent.test ended "
                           "in timeout") != std::string::npos);
  for (const auto* request : {&servfail, &refused, &silent}) {
    CHECK(outcome_of(db, *request) == "pending");
  }
}

TEST_CASE("challenge: a new request supersedes the pending one, whose record no longer counts",
          "[loopback]") {
  const Db db;
  const auto first = new_request(db, "moving.test");
  const auto second =
      new_request(db, "moving.test", {"--action", "update", "--mxs", ".mx.moving.test"});
  CHECK(json::serialize(second.at("superseded")) ==
        "[" + json::serialize(first.at("request")) + "]");
  Zone zone;
  zone.add_txt("_starttls-policy.moving.test", {record_value(first)});
  const BackgroundDns dns(zone);

  const auto result = verify_json(verify(dns, db, "moving.test"));
  CHECK(text(result.at("outcome")) == "mismatch");
  CHECK(result.at("request") == second.at("request"));
  const auto rows = requests(db);
  REQUIRE(rows.size() == 2);
  CHECK(outcome_of(db, first) == "superseded");
  CHECK(outcome_of(db, second) == "pending");
  CHECK_FALSE(rows.at(second.at("request").as_int64()).at("lapsed").as_bool());

  const auto listing = mxscan({"challenge", "list", "--db", db.path});
  CHECK(listing.exit_code == 0);
  CHECK(listing.out.find("moving.test  remove  superseded") != std::string::npos);
  CHECK(listing.out.find("moving.test  update [.mx.moving.test]  pending") != std::string::npos);
}

TEST_CASE("challenge: bad usage is exit 2 and writes nothing", "[loopback]") {
  const Db db;
  const std::vector<std::vector<std::string>> bad{
      {"not a domain", "--action", "remove"},
      {"exa..mple.test", "--action", "remove"},
      {"example.test", "--action", "delete"},
      {"example.test"},
      {"example.test", "--action", "update"},
      {"example.test", "--action", "update", "--mxs", "mx.example.test,not a pattern"},
      {"example.test", "--action", "update", "--mxs", "single-label"},
      {"example.test", "--action", "remove", "--mxs", "mx.example.test"},
      {"example.test", "--action", "remove", "--ttl-days", "0"},
  };
  for (const auto& args : bad) {
    std::vector<std::string> argv{"challenge", "new", "--db", db.path};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto result = mxscan(argv);
    CAPTURE(args);
    CHECK(result.exit_code == 2);
    CHECK(!result.err.empty());
    CHECK_FALSE(std::filesystem::exists(db.path));
  }
  CHECK(mxscan({"challenge", "new", "--db", db.path, "example.test", "--action", "update", "--mxs",
                "bad pattern"})
            .err.find("'bad pattern' is not an mx pattern") != std::string::npos);

  CHECK(mxscan({"challenge", "verify", "example.test", "--db", db.path}).exit_code == 2);
  CHECK(mxscan({"challenge", "list", "--db", db.path}).exit_code == 2);
  CHECK(mxscan({"challenge"}).exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(db.path));

  new_request(db, "other.test");
  const Zone zone;
  const BackgroundDns dns(zone);
  const auto none = verify(dns, db, "example.test");
  CHECK(none.exit_code == 2);
  CHECK(none.err.find("has no request for example.test") != std::string::npos);
  CHECK(verify(dns, db, "not a domain").exit_code == 2);
  CHECK(requests(db).size() == 1);
}

TEST_CASE("challenge: records are matched exactly and printed safely", "[unit]") {
  using mx::cli::challenge_record_matches;
  using mx::cli::printable_record;
  const auto expected = mx::cli::challenge_record_value("remove", "ab12");
  CHECK(expected == "v=STARTTLS-POLICY1; action=remove; token=ab12");
  CHECK(mx::cli::challenge_record_name("example.com") == "_starttls-policy.example.com");
  CHECK(challenge_record_matches(expected, expected));
  CHECK(challenge_record_matches("\t " + expected + " \r\n", expected));
  CHECK_FALSE(challenge_record_matches(expected + "3", expected));
  CHECK_FALSE(challenge_record_matches("v=STARTTLS-POLICY1;action=remove;token=ab12", expected));
  CHECK_FALSE(challenge_record_matches("V=STARTTLS-POLICY1; action=remove; token=AB12", expected));
  CHECK_FALSE(challenge_record_matches("", expected));
  CHECK_FALSE(challenge_record_matches("   ", expected));

  CHECK(printable_record("plain text") == "plain text");
  CHECK(printable_record(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(printable_record("\x1b[31m\\\x7f\xc3\xa9") == "\\x1b[31m\\\\\\x7f\\xc3\\xa9");
  CHECK(printable_record(std::string(201, 'x')) == std::string(200, 'x') + "...");
  CHECK(printable_record(std::string(200, 'x')) == std::string(200, 'x'));
  CHECK(printable_record("abcdef", 3) == "abc...");
}
