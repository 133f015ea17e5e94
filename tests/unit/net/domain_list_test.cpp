#include <sstream>

#include <catch2/catch.hpp>

#include "scanner/targets/domain_list.hpp"

using mx::targets::read_domain_list;

TEST_CASE("domain lists: comments, blank lines, rank CSV, normalisation, duplicates", "[unit]") {
  std::istringstream in(
      "\xEF\xBB\xBF# a list\n"
      "example.com\n"
      "\n"
      "   Example.ORG.   # trailing comment\n"
      "1,google.com\n"
      "2, bücher.example\n"
      "example.com\n"
      "not a domain\n"
      "3,\n"
      "x,y,z\n"
      "localhost\n"
      "\r\n"
      "mail.example.net\r\n");
  const auto list = read_domain_list(in);
  CHECK(list.domains == std::vector<std::string>{"example.com", "example.org", "google.com",
                                                 "xn--bcher-kva.example", "mail.example.net"});
  CHECK(list.duplicates == 1);
  CHECK(list.lines == 13);
  REQUIRE(list.problems.size() == 4);
  CHECK(list.problems[0].line == 8);
  CHECK(list.problems[0].text == "not a domain");
  CHECK(list.problems[1].line == 9);
  CHECK(list.problems[2].line == 10);
  CHECK(list.problems[3].line == 11);
  CHECK_FALSE(list.problems[3].reason.empty());
}

TEST_CASE("a CSV header line is skipped, a long line is a problem", "[unit]") {
  std::string text = "rank,domain\n1,a.example\n";
  text.append(5000, 'a');
  text += '\n';
  std::istringstream in(text);
  const auto list = read_domain_list(in);
  CHECK(list.domains == std::vector<std::string>{"a.example"});
  REQUIRE(list.problems.size() == 1);
  CHECK(list.problems[0].line == 3);
  CHECK(list.problems[0].reason == "line too long");
}

TEST_CASE("the input digest depends on the domains and their order only", "[unit]") {
  using mx::targets::input_digest;
  CHECK(input_digest({"a.example", "b.example"}) == input_digest({"a.example", "b.example"}));
  CHECK(input_digest({"a.example", "b.example"}) != input_digest({"b.example", "a.example"}));
  CHECK(input_digest({}).size() == 64);
}

TEST_CASE("shards: parsing K/N and a stable partition", "[unit]") {
  mx::targets::Shard shard;
  CHECK(mx::targets::parse_shard("0/4", shard));
  CHECK(shard.index == 0);
  CHECK(shard.count == 4);
  CHECK(mx::targets::parse_shard("3/4", shard));
  for (const auto* bad : {"4/4", "1/0", "a/4", "1", "1/4x", "-1/4", "", "/"}) {
    CAPTURE(bad);
    CHECK_FALSE(mx::targets::parse_shard(bad, shard));
  }
  // Stable across runs and machines: fixed expectations, and every domain in exactly one shard.
  CHECK(mx::targets::shard_of("example.com", 1) == 0);
  const auto s = mx::targets::shard_of("example.com", 7);
  CHECK(s == mx::targets::shard_of("example.com", 7));
  std::vector<int> sizes(4, 0);
  for (int i = 0; i < 4000; ++i) {
    std::string name = std::to_string(i);  // not "d" + to_string(): GCC 12 -Wrestrict false alarm
    name += ".test";
    ++sizes[mx::targets::shard_of(name, 4)];
  }
  for (const auto size : sizes) {
    CHECK(size > 800);
    CHECK(size < 1200);
  }
}
