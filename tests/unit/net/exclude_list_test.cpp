#include <sstream>
#include <string>

#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>

#include "scanner/targets/exclude_list.hpp"

namespace {

using mx::targets::ExcludeList;
using mx::targets::ExcludeProblem;

ExcludeList parse(const std::string& text) {
  std::istringstream in(text);
  auto parsed = mx::targets::parse_exclude_list(in);
  if (const auto* problem = std::get_if<ExcludeProblem>(&parsed)) {
    FAIL("line " << problem->line << ": " << problem->reason);
  }
  return std::get<ExcludeList>(std::move(parsed));
}

ExcludeProblem problem_of(const std::string& text) {
  std::istringstream in(text);
  auto parsed = mx::targets::parse_exclude_list(in);
  REQUIRE(std::holds_alternative<ExcludeProblem>(parsed));
  return std::get<ExcludeProblem>(parsed);
}

std::string matched(const ExcludeList& list, const std::string& address) {
  const auto entry = list.match(boost::asio::ip::make_address(address));
  return entry ? std::to_string(entry->line) + " " + entry->text : "";
}

std::string matched_name(const ExcludeList& list, const std::string& name) {
  const auto entry = list.match(std::string_view(name));
  return entry ? std::to_string(entry->line) + " " + entry->text : "";
}

}  // namespace

TEST_CASE("exclude list: zmap's blocklist.conf format, comments and blank lines", "[exclude]") {
  const auto list = parse(
      "# From IANA IPv4 Special-Purpose Address Registry\n"
      "\n"
      "0.0.0.0/8          # RFC1122: \"This host on this network\"\n"
      "10.0.0.0/8  # RFC1918\r\n"
      "   \t\n"
      "192.0.2.7\n"
      "2001:db8::/32 # documentation\n"
      "2001:db8:1::5\n");
  CHECK(list.size() == 5);
  CHECK(matched(list, "10.1.2.3") == "4 10.0.0.0/8");
  CHECK(matched(list, "0.0.0.1") == "3 0.0.0.0/8");
  CHECK(matched(list, "192.0.2.7") == "6 192.0.2.7/32");
  CHECK(matched(list, "192.0.2.8").empty());
  CHECK(matched(list, "11.0.0.0").empty());
  CHECK(matched(list, "2001:db8:ffff::1") == "7 2001:db8::/32");
  CHECK(matched(list, "2001:db9::1").empty());
  // The most specific network is the one named.
  CHECK(matched(list, "2001:db8:1::5") == "8 2001:db8:1::5/128");
  // An IPv4-mapped address is the IPv4 address it connects to.
  CHECK(matched(list, "::ffff:10.9.9.9") == "4 10.0.0.0/8");
}

TEST_CASE("exclude list: an IPv4-mapped network is the IPv4 network it maps", "[exclude]") {
  const auto list = parse("::ffff:198.51.100.0/120\n");
  CHECK(matched(list, "198.51.100.9") == "1 198.51.100.0/24");
  CHECK(matched(list, "::ffff:198.51.100.9") == "1 198.51.100.0/24");
  CHECK(matched(list, "198.51.101.9").empty());
}

TEST_CASE("exclude list: a name excludes itself and the names below it", "[exclude]") {
  const auto list = parse(
      "Example.COM.\n"
      "*.corp.test   # wildcard spelling\n"
      ".other.test\n"
      "deep.example.com\n");
  CHECK(matched_name(list, "example.com") == "1 example.com");
  CHECK(matched_name(list, "mx.example.com") == "1 example.com");
  CHECK(matched_name(list, "a.deep.example.com") == "4 deep.example.com");
  CHECK(matched_name(list, "notexample.com").empty());
  CHECK(matched_name(list, "example.org").empty());
  CHECK(matched_name(list, "corp.test") == "2 corp.test");
  CHECK(matched_name(list, "x.other.test") == "3 other.test");
  CHECK(matched_name(list, "test").empty());
  CHECK(matched(list, "10.0.0.1").empty());
}

TEST_CASE("exclude list: an empty or comment-only file excludes nothing", "[exclude]") {
  CHECK(parse("").empty());
  CHECK(parse("# nothing\n\n  # still nothing\n").empty());
}

TEST_CASE("exclude list: a malformed line is named with its problem", "[exclude]") {
  struct Case {
    std::string text;
    std::size_t line;
    std::string reason_part;
  };
  const Case cases[] = {
      {"10.0.0.0/8\n10.0.0.1/8\n", 2, "host bits set"},
      {"10.0.0.0/33\n", 1, "prefix length over 32"},
      {"2001:db8::/129\n", 1, "prefix length over 128"},
      {"10.0.0.0/\n", 1, "not a prefix length"},
      {"10.0.0.0/8x\n", 1, "not a prefix length"},
      {"mx.example.com/24\n", 1, "not an IP address"},
      {"10.0.0.0/-1\n", 1, "not a prefix length"},
      {"10.0.0.300\n", 1, "not an IP address"},
      {"# ok\n\n2001:db8::zz/32\n", 3, "not an IP address"},
      {"10.0.0.0/8 192.168.0.0/16\n", 1, "more than one entry"},
      {"bad_name!.com\n", 1, "not a domain name"},
      {"a..b.com\n", 1, "not a domain name"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto problem = problem_of(c.text);
    CHECK(problem.line == c.line);
    CHECK_THAT(problem.reason, Catch::Matchers::Contains(c.reason_part));
  }
}
