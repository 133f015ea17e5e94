// The policy list read whole or refused with every problem, written deterministically, saved
// atomically; and the real list (CONTRACT.md: shared/data/eff-policy.json) read back entry by
// entry through a write.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "list/policy_list.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace json = boost::json;
using mx::list::Mode;
using mx::list::parse_list;
using mx::list::Problem;

const std::string kHeader =
    R"("timestamp": "2020-05-20T10:25:12.710034-07:00", )"
    R"("expires": "2020-06-03T10:25:12.710055-07:00", "version": "0.1", "author": "test")";
const std::string kAliases =
    R"({"google": {"mode": "testing", "mxs": ["aspmx.l.google.com", ".google.com"]}})";

std::string document(const std::string& policies, const std::string& aliases = kAliases) {
  return "{" + kHeader + R"(, "policy-aliases": )" + aliases + R"(, "policies": )" + policies + "}";
}

const std::string kValid =
    document(R"({"a.example": {"mode": "enforce", "mxs": ["mx.a.example"]}})");

// `text` with its first `from` replaced by `to`.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

std::string listed(const std::vector<Problem>& problems) {
  std::string out;
  for (const auto& p : problems) {
    out += p.path + ": " + p.reason + "\n";
  }
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return text;
}

// The EFF list's entries as plain Boost.JSON sees them, aliases resolved by hand.
struct PlainEntry {
  std::string mode;
  std::set<std::string> patterns;  // lower case
  std::string alias;               // "" when none
};

std::map<std::string, PlainEntry> plain_reading(const std::string& text) {
  const auto root = json::parse(text).as_object();
  const auto& aliases = root.at("policy-aliases").as_object();
  std::map<std::string, PlainEntry> entries;
  for (const auto& [domain, value] : root.at("policies").as_object()) {
    PlainEntry entry;
    const json::object* policy = &value.as_object();
    if (const auto* alias = policy->if_contains("policy-alias")) {
      entry.alias = alias->as_string();
      policy = &aliases.at(entry.alias).as_object();
    }
    entry.mode = policy->at("mode").as_string();
    for (const auto& pattern : policy->at("mxs").as_array()) {
      entry.patterns.insert(lower(std::string(pattern.as_string())));
    }
    entries.emplace(lower(std::string(domain)), std::move(entry));
  }
  return entries;
}

void require_same_entries(const mx::list::PolicyList& list,
                          const std::map<std::string, PlainEntry>& plain) {
  REQUIRE(list.policies.size() == plain.size());
  for (const auto& [domain, expected] : plain) {
    CAPTURE(domain);
    const auto* entry = list.find(domain);
    REQUIRE(entry != nullptr);
    CHECK(to_string(entry->policy.mode) == expected.mode);
    std::set<std::string> patterns;
    for (const auto& pattern : entry->policy.mxs) {
      patterns.insert(lower(pattern));
    }
    CHECK(patterns == expected.patterns);
    CHECK(entry->policy.mxs.size() == expected.patterns.size());
    CHECK(entry->alias.value_or("") == expected.alias);
  }
}

}  // namespace

TEST_CASE("policy_list: the EFF list reads, writes and reads back entry by entry", "[unit]") {
  const char* shared = std::getenv("MX_SHARED_DIR");
  REQUIRE(shared != nullptr);
  const auto path = std::filesystem::path(shared) / "data" / "eff-policy.json";
  REQUIRE(std::filesystem::exists(path));
  const std::string original = read_file(path);
  const auto plain = plain_reading(original);
  REQUIRE(plain.size() == 926);

  const auto first = mx::list::read_list_file(path);
  INFO(listed(first.problems));
  REQUIRE(first.problems.empty());
  REQUIRE(first.list);
  require_same_entries(*first.list, plain);

  const std::string written = mx::list::write_list(*first.list);
  const auto second = parse_list(written);
  INFO(listed(second.problems));
  REQUIRE(second.list);
  require_same_entries(*second.list, plain);
  CHECK(*second.list == *first.list);
  CHECK(mx::list::write_list(*second.list) == written);

  const auto& list = *second.list;
  CHECK(list.timestamp == "2020-05-20T10:25:12.710034-07:00");
  CHECK(list.expires == "2020-06-03T10:25:12.710055-07:00");
  CHECK(list.version == "0.1");
  CHECK(list.author == "Electronic Frontier Foundation https://eff.org");
  CHECK(list.aliases.size() == 4);
  REQUIRE(list.aliases.contains("outlook"));
  CHECK(list.aliases.at("outlook").mxs ==
        std::vector<std::string>{".olc.protection.outlook.com", ".mail.protection.outlook.com"});
  // Written as an alias, not as the alias's policy.
  CHECK(written.find("\"aol.com\": {\n      \"policy-alias\": \"yahoo\"\n    }") !=
        std::string::npos);
}

TEST_CASE("policy_list: RFC 3339 times with fractions and offsets are read", "[unit]") {
  const auto [timestamp, expires] = GENERATE(table<std::string, std::string>({
      {"2020-05-20T10:25:12.710034-07:00", "2020-06-03T10:25:12.710055-07:00"},
      {"2020-05-20T17:25:12Z", "2020-05-20T17:25:12.5z"},
      {"2024-02-29t23:59:60+00:00", "2024-03-01T00:00:00.000001Z"},
      // Offsets count: 10:00-07:00 is 17:00Z, after 16:59:59.999Z.
      {"2020-05-20T16:59:59.999Z", "2020-05-20T10:00:00-07:00"},
  }));
  CAPTURE(timestamp, expires);
  const auto text = replaced(replaced(kValid, "2020-05-20T10:25:12.710034-07:00", timestamp),
                             "2020-06-03T10:25:12.710055-07:00", expires);
  const auto result = parse_list(text);
  INFO(listed(result.problems));
  REQUIRE(result.list);
  CHECK(result.list->timestamp == timestamp);
  CHECK(result.list->expires == expires);
}

TEST_CASE("policy_list: each kind of malformation names its path", "[unit]") {
  struct Case {
    std::string text;
    std::string path;
    std::string reason;  // a part of it
  };
  const auto policy = [](const std::string& body) {
    return document(R"({"a.example": )" + body + "}");
  };
  const auto c = GENERATE_COPY(values<Case>({
      {"[]", "$", "must be a JSON object"},
      {replaced(kValid, R"("timestamp": "2020-05-20T10:25:12.710034-07:00", )", ""), "timestamp",
       "missing"},
      {replaced(kValid, "2020-06-03T10:25:12.710055-07:00", "2020-06-03"), "expires",
       "not an RFC 3339 date-time"},
      {replaced(kValid, "2020-06-03T10:25:12.710055-07:00", "2020-02-30T10:25:12Z"), "expires",
       "RFC 3339"},
      {replaced(kValid, "2020-06-03T10:25:12.710055-07:00", "2020-06-03T10:25:12+0700"), "expires",
       "RFC 3339"},
      {replaced(kValid, "2020-06-03T10:25:12.710055-07:00", "2020-06-03 10:25:12Z"), "expires",
       "RFC 3339"},
      {replaced(kValid, "2020-06-03T10:25:12.710055-07:00", "2020-05-20T10:25:12.710034-07:00"),
       "expires", "later than timestamp"},
      {replaced(kValid, R"("0.1")", R"("0.2")"), "version", "\"0.2\""},
      {replaced(kValid, R"("test")", "7"), "author", "must be a string"},
      {replaced(kValid, kAliases, "[]"), "policy-aliases", "must be an object"},
      {"{" + kHeader + "}", "policies", "missing"},
      {replaced(kValid, "\"author\"", "\"signer\": 1, \"author\""), "signer", "unknown key"},
      {policy("[]"), R"(policies["a.example"])", "must be a policy object"},
      {policy(R"({"mode": "none", "mxs": ["mx.a.example"]})"), R"(policies["a.example"].mode)",
       "\"testing\" or \"enforce\""},
      {policy(R"({"mxs": ["mx.a.example"]})"), R"(policies["a.example"].mode)", "missing"},
      {policy(R"({"mode": "testing"})"), R"(policies["a.example"].mxs)", "missing"},
      {policy(R"({"mode": "testing", "mxs": []})"), R"(policies["a.example"].mxs)", "at least one"},
      {policy(R"({"mode": "testing", "mxs": "mx.a.example"})"), R"(policies["a.example"].mxs)",
       "must be an array"},
      {policy(R"({"mode": "testing", "mxs": ["mx.a.example", "bad host"]})"),
       R"(policies["a.example"].mxs[1])", "\"bad host\" is not a host name"},
      {policy(R"({"mode": "testing", "mxs": [7]})"), R"(policies["a.example"].mxs[0])",
       "not a host name"},
      {policy(R"({"mode": "testing", "mxs": ["localhost"]})"), R"(policies["a.example"].mxs[0])",
       "not a host name"},
      {policy(R"({"mode": "testing", "mxs": ["mx.a.example"], "max_age": 1})"),
       R"(policies["a.example"].max_age)", "unknown key"},
      {policy(R"({"policy-alias": "yahoo"})"), R"(policies["a.example"].policy-alias)",
       "no alias \"yahoo\""},
      {policy(R"({"policy-alias": 1})"), R"(policies["a.example"].policy-alias)",
       "must be a string"},
      {policy(R"({"policy-alias": "google", "mode": "enforce"})"), R"(policies["a.example"].mode)",
       "beside policy-alias"},
      {document("{}", R"({"google": {"policy-alias": "other"}})"),
       R"(policy-aliases["google"].policy-alias)", "another alias"},
      {document("{}", R"({"google": {"mode": "strict", "mxs": ["mx.a.example"]}})"),
       R"(policy-aliases["google"].mode)", "\"strict\""},
      {document(R"({"a..example": {"policy-alias": "google"}})"), R"(policies["a..example"])",
       "not a domain name"},
      {document(R"({"Example.COM": {"policy-alias": "google"}, )"
                R"("example.com.": {"policy-alias": "google"}})"),
       R"(policies["example.com."])", "the same domain as \"Example.COM\" (example.com)"},
      {document(R"({"a.example": {"policy-alias": "google"}, )"
                R"("a.example": {"policy-alias": "google"}})"),
       R"(policies["a.example"])", "more than once"},
      {policy(R"({"mode": "testing", "mode": "enforce", "mxs": ["mx.a.example"]})"),
       R"(policies["a.example"].mode)", "more than once"},
  }));
  CAPTURE(c.text);
  const auto result = parse_list(c.text);
  INFO(listed(result.problems));
  CHECK_FALSE(result.list);
  REQUIRE(result.problems.size() == 1);
  CHECK(result.problems[0].path == c.path);
  CHECK(result.problems[0].reason.find(c.reason) != std::string::npos);
}

TEST_CASE("policy_list: every problem of a list is reported at once, in document order", "[unit]") {
  const auto text =
      "{" + replaced(kHeader, R"("0.1")", R"("1.0")") +
      R"(, "policy-aliases": {"google": {"mode": "testing", "mxs": [".google.com", "-bad"]}},
      "policies": {
        "a.example": {"policy-alias": "missing"},
        "b.example": {"mode": "enforce", "mxs": ["mx.b.example", "mx..b.example"], "note": "x"},
        "c.example": {"mode": "sometimes", "mxs": []},
        "d.example": {"policy-alias": "google"}
      }})";
  const auto result = parse_list(text);
  CHECK_FALSE(result.list);
  std::vector<std::string> paths;
  for (const auto& p : result.problems) {
    paths.push_back(p.path);
  }
  CHECK(paths == std::vector<std::string>{
                     "version",
                     R"(policy-aliases["google"].mxs[1])",
                     R"(policies["a.example"].policy-alias)",
                     R"(policies["b.example"].note)",
                     R"(policies["b.example"].mxs[1])",
                     R"(policies["c.example"].mode)",
                     R"(policies["c.example"].mxs)",
                 });
}

TEST_CASE("policy_list: a syntax error is one problem at $ with line and column", "[unit]") {
  const auto [text, where] = GENERATE(table<std::string, std::string>({
      {"{\n  \"timestamp\": \"x\",,\n}", "2:20: "},
      {"{\"a\": 1", "1:8: "},
      {"{} {}", "1:4: "},
      {"", "1:1: "},
      {"{\"author\": \"\xff\"}", "1:13: "},
  }));
  CAPTURE(text);
  const auto result = parse_list(text);
  CHECK_FALSE(result.list);
  REQUIRE(result.problems.size() == 1);
  CHECK(result.problems[0].path == "$");
  CHECK(result.problems[0].reason.starts_with(where));
  CHECK(parse_list(kValid + " \n\t\r\n").list);
}

TEST_CASE("policy_list: input over 64 MiB is refused unread", "[unit]") {
  std::string huge = kValid;
  huge.append(mx::list::max_list_octets, ' ');
  const auto result = parse_list(huge);
  CHECK_FALSE(result.list);
  REQUIRE(result.problems.size() == 1);
  CHECK(result.problems[0].path == "$");
  CHECK(result.problems[0].reason.find("64 MiB") != std::string::npos);
}

TEST_CASE("policy_list: domains and patterns are read in canonical form", "[unit]") {
  const auto result = parse_list(document(R"({
      "Bücher.Example.": {"mode": "testing",
        "mxs": ["MX.Bücher.Example.", "*.Example.COM", ".example.com", "mx.xn--bcher-kva.example",
                "mx2.example.com."]},
      "b.example": {"policy-alias": "google"}})"));
  INFO(listed(result.problems));
  REQUIRE(result.list);
  const auto& list = *result.list;
  CHECK(list.find("Bücher.Example.") == nullptr);
  const auto* entry = list.find("xn--bcher-kva.example");
  REQUIRE(entry != nullptr);
  CHECK(entry->policy.mode == Mode::testing);
  // Duplicates after normalisation are dropped, the first kept.
  CHECK(entry->policy.mxs ==
        std::vector<std::string>{"mx.xn--bcher-kva.example", ".example.com", "mx2.example.com"});
  CHECK_FALSE(entry->alias);
  const auto* aliased = list.find("b.example");
  REQUIRE(aliased != nullptr);
  CHECK(aliased->alias == "google");
  CHECK(aliased->policy == list.aliases.at("google"));
  CHECK(list.find("c.example") == nullptr);
}

TEST_CASE("policy_list: absent policy-aliases reads as none", "[unit]") {
  const auto result = parse_list("{" + kHeader + R"(, "policies": {}})");
  INFO(listed(result.problems));
  REQUIRE(result.list);
  CHECK(result.list->aliases.empty());
  CHECK(result.list->policies.empty());
}

TEST_CASE("policy_list: the written form is sorted, indented and escaped", "[unit]") {
  mx::list::PolicyList list;
  list.timestamp = "2020-05-20T10:25:12Z";
  list.expires = "2020-06-03T10:25:12Z";
  list.author = "Q \"quoted\" \\ back\nslash \xc3\xa9\x01";
  list.aliases["g"] = {Mode::testing, {"mx.g.example"}};
  list.policies["b.example"] = {{Mode::enforce, {"mx2.b.example", ".b.example"}}, std::nullopt};
  list.policies["a.example"] = {list.aliases["g"], "g"};
  const std::string expected = R"({
  "author": "Q \"quoted\" \\ back\nslash )"
                               "\xc3\xa9"
                               R"(\u0001",
  "expires": "2020-06-03T10:25:12Z",
  "policies": {
    "a.example": {
      "policy-alias": "g"
    },
    "b.example": {
      "mode": "enforce",
      "mxs": [
        "mx2.b.example",
        ".b.example"
      ]
    }
  },
  "policy-aliases": {
    "g": {
      "mode": "testing",
      "mxs": [
        "mx.g.example"
      ]
    }
  },
  "timestamp": "2020-05-20T10:25:12Z",
  "version": "0.1"
}
)";
  const auto written = mx::list::write_list(list);
  CHECK(written == expected);
  const auto back = parse_list(written);
  INFO(listed(back.problems));
  REQUIRE(back.list);
  CHECK(*back.list == list);

  list.aliases.clear();
  list.policies.clear();
  CHECK(mx::list::write_list(list).find("\"policies\": {},\n  \"policy-aliases\": {},") !=
        std::string::npos);
}

TEST_CASE("policy_list: save_list replaces the file whole", "[unit]") {
  const mx::test::TempDir dir;
  const auto path = dir.path() / "policy.json";
  auto list = *parse_list(kValid).list;
  mx::list::save_list(list, path);
  CHECK(read_file(path) == mx::list::write_list(list));

  list.author = "second";
  mx::list::save_list(list, path);
  const auto back = mx::list::read_list_file(path);
  REQUIRE(back.list);
  CHECK(*back.list == list);
  // Nothing but the list is left in the directory.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 1);

  const auto nowhere = dir.path() / "missing" / "policy.json";
  try {
    mx::list::save_list(list, nowhere);
    FAIL("save_list into a missing directory did not throw");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find(nowhere.string()) != std::string::npos);
  }
}

TEST_CASE("policy_list: an unreadable file is one problem at $", "[unit]") {
  const mx::test::TempDir dir;
  for (const auto& path : {dir.path() / "missing.json", dir.path()}) {
    CAPTURE(path);
    const auto result = mx::list::read_list_file(path);
    CHECK_FALSE(result.list);
    REQUIRE(result.problems.size() == 1);
    CHECK(result.problems[0].path == "$");
    CHECK(result.problems[0].reason.starts_with("cannot read"));
  }
}
