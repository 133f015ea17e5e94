#include <algorithm>
#include <cctype>
#include <sstream>

#include <catch2/catch.hpp>

#include "scanner/targets/domain_list.hpp"

namespace {

struct Read {
  mx::targets::DomainList list;
  std::vector<mx::targets::LineProblem> problems;
};

Read read(const std::string& text, mx::targets::Shard shard = {}) {
  std::istringstream in(text);
  Read out;
  out.list = mx::targets::read_domain_list(
      in, shard, [&](const mx::targets::LineProblem& problem) { out.problems.push_back(problem); });
  return out;
}

}  // namespace

TEST_CASE("domain lists: comments, blank lines, rank CSV, normalisation, duplicates", "[unit]") {
  const auto [list, problems] = read(
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
  CHECK(list.domains == std::vector<std::string>{"example.com", "example.org", "google.com",
                                                 "xn--bcher-kva.example", "mail.example.net"});
  CHECK(list.positions == std::vector<std::int64_t>{2, 4, 5, 6, 13});
  CHECK(list.duplicates == 1);
  CHECK(list.lines == 13);
  CHECK(list.problems == 4);
  REQUIRE(problems.size() == 4);
  CHECK(problems[0].line == 8);
  CHECK(problems[0].text == "not a domain");
  CHECK(problems[1].line == 9);
  CHECK(problems[2].line == 10);
  CHECK(problems[3].line == 11);
  CHECK_FALSE(problems[3].reason.empty());
  CHECK(list.digest == mx::targets::input_digest(list.domains));
}

TEST_CASE("a CSV header line is skipped, a long line is a problem", "[unit]") {
  std::string text = "rank,domain\n1,a.example\n";
  text.append(5000, 'a');
  text += '\n';
  const auto [list, problems] = read(text);
  CHECK(list.domains == std::vector<std::string>{"a.example"});
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].line == 3);
  CHECK(problems[0].reason == "line too long");
}

TEST_CASE("a shard keeps its domains, their first lines, and their duplicates only", "[unit]") {
  // Every name twice, the second time in upper case: a duplicate after normalisation.
  std::string text = "# shards\n";
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) {
    std::string name = std::to_string(i);  // not "d" + to_string(): GCC 12 -Wrestrict false alarm
    name += ".test";
    names.push_back(name);
    text += name + "\n";
  }
  for (const auto& name : names) {
    std::string upper = name;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
      return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    });
    text += upper + "\nnot a domain\n";
  }
  const auto whole = read(text).list;
  REQUIRE(whole.domains == names);
  std::vector<std::pair<std::int64_t, std::string>> merged;
  for (unsigned k = 0; k < 3; ++k) {
    CAPTURE(k);
    const auto [part, problems] = read(text, {k, 3});
    CHECK(part.lines == 601);
    CHECK(problems.size() == 200);  // malformed lines belong to no shard: each reports them
    CHECK(part.duplicates == part.domains.size());
    CHECK(part.digest == mx::targets::input_digest(part.domains));
    for (std::size_t i = 0; i < part.domains.size(); ++i) {
      CHECK(mx::targets::shard_of(part.domains[i], 3) == k);
      merged.emplace_back(part.positions[i], part.domains[i]);
    }
  }
  // Sorted by position, the shards give back the whole input in its order.
  std::sort(merged.begin(), merged.end());
  REQUIRE(merged.size() == names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    CHECK(merged[i].first == static_cast<std::int64_t>(i) + 2);
    CHECK(merged[i].second == names[i]);
  }
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
