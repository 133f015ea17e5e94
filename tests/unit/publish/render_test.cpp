// publish/render.hpp and its generators, in process: what each writes for enforce and testing
// entries and for an expired list, the header, and the refusal of names that are not canonical.
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "list/policy_list.hpp"
#include "publish/digest.hpp"
#include "publish/expiry.hpp"
#include "publish/render.hpp"
#include "tests/unit/publish/gpg_home.hpp"

namespace {

using mx::publish::find_generator;
using mx::publish::render_list;

const auto now = std::chrono::system_clock::now();

mx::list::PolicyList parse(const std::string& json) {
  auto read = mx::list::parse_list(json);
  REQUIRE(read.problems.empty());
  return *read.list;
}

// The lines that are not comments or blank.
std::vector<std::string> config_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.front() != '#') {
      lines.push_back(line);
    }
  }
  return lines;
}

mx::publish::Rendered render(const std::string& format, const std::string& json) {
  const auto* generator = find_generator(format);
  REQUIRE(generator != nullptr);
  return render_list(*generator, parse(json), json, "lists/policy.json", "mxscan test", now);
}

}  // namespace

TEST_CASE("generators: postfix and exim, registered once") {
  std::vector<std::string> names;
  for (const auto& generator : mx::publish::generators()) {
    names.emplace_back(generator.name);
    CHECK_FALSE(generator.description.empty());
    CHECK(find_generator(generator.name) == &generator);
  }
  CHECK(names == std::vector<std::string>{"postfix", "exim"});
  CHECK(find_generator("sendmail") == nullptr);
}

TEST_CASE("list_expired: RFC 3339 with offsets and fractions") {
  using namespace std::chrono;
  auto list = parse(mx::test::sample_list("2020-06-03T10:25:12.710055-07:00"));
  const auto expiry = sys_days{2020y / June / 3} + 17h + 25min + 12s + 710055us;
  CHECK(mx::publish::expires_at(list) == expiry);
  CHECK_FALSE(
      mx::publish::list_expired(list, time_point_cast<system_clock::duration>(expiry - 1us)));
  CHECK(mx::publish::list_expired(list, time_point_cast<system_clock::duration>(expiry)));
  CHECK_FALSE(mx::publish::list_expired(parse(mx::test::sample_list()), now));
  list.expires = "not a time";  // unreadable: expired, never enforced
  CHECK(mx::publish::list_expired(list, now));
}

TEST_CASE("postfix: enforce entries are secure match=, testing entries comments") {
  const auto json = mx::test::sample_list();
  const auto rendered = render("postfix", json);
  CHECK_FALSE(rendered.expired);
  CHECK(config_lines(rendered.text) ==
        std::vector<std::string>{"aliased.example secure match=mx.hosting.example",
                                 "example.com secure match=mx1.example.com:.example.net"});
  CHECK_THAT(rendered.text, Catch::Contains("# testing, not enforced: testing.example secure "
                                            "match=mx.testing.example\n"));
  // The header: the list, its digest, the tool and the choices.
  CHECK(rendered.text.rfind("# Rendered by mxscan test (mxscan list render --format postfix)", 0) ==
        0);
  CHECK_THAT(rendered.text, Catch::Contains("# From the STARTTLS policy list lists/policy.json\n"));
  CHECK_THAT(rendered.text, Catch::Contains("#   author:    mxscan tests\n"));
  CHECK_THAT(rendered.text, Catch::Contains("#   timestamp: 2020-05-20T10:25:12.710034-07:00\n"));
  CHECK_THAT(rendered.text, Catch::Contains("#   expires:   2099-01-01T00:00:00-07:00\n"));
  CHECK_THAT(rendered.text,
             Catch::Contains("#   sha256:    " + mx::publish::sha256_hex(json) + " "));
  CHECK_THAT(rendered.text, Catch::Contains("#   entries:   2 enforce, 1 testing\n"));
  CHECK_THAT(rendered.text, Catch::Contains("slightly broader than the list"));
  CHECK_THAT(rendered.text, !Catch::Contains("EXPIRED"));
}

TEST_CASE("exim: domain: patterns in domain-list syntax, a wildcard as *.") {
  const auto rendered = render("exim", mx::test::sample_list());
  CHECK_FALSE(rendered.expired);
  CHECK(config_lines(rendered.text) ==
        std::vector<std::string>{"aliased.example: mx.hosting.example",
                                 "example.com: mx1.example.com:*.example.net"});
  CHECK_THAT(rendered.text,
             Catch::Contains("# testing, not enforced: testing.example: mx.testing.example\n"));
  CHECK(rendered.text.rfind("# Rendered by mxscan test (mxscan list render --format exim)", 0) ==
        0);
}

TEST_CASE("render: an expired list enforces nothing and says why, in every generator") {
  const auto json = mx::test::sample_list("2020-06-03T10:25:12.710055-07:00");
  for (const auto& generator : mx::publish::generators()) {
    INFO(generator.name);
    const auto rendered = render(std::string(generator.name), json);
    CHECK(rendered.expired);
    CHECK(config_lines(rendered.text).empty());
    CHECK_THAT(rendered.text,
               Catch::Contains("# !!! THIS LIST EXPIRED at 2020-06-03T10:25:12.710055-07:00.\n"));
    CHECK_THAT(rendered.text, Catch::Contains("opportunistic TLS"));
    CHECK_THAT(rendered.text, Catch::Contains("# list expired, not enforced: example.com"));
  }
}

TEST_CASE("render: the same list renders to the same bytes, another list's digest differs") {
  const auto json = mx::test::sample_list();
  CHECK(render("postfix", json).text == render("postfix", json).text);
  const auto other = mx::test::sample_list("2099-01-01T00:00:00-07:00", "someone else");
  CHECK_THAT(render("postfix", other).text, !Catch::Contains(mx::publish::sha256_hex(json)));
  CHECK(mx::publish::sha256_hex("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("render: free text is escaped in comments: no newline reaches the configuration") {
  // A list author is free text: JSON allows "\n" in it.
  const auto json = mx::test::sample_list("2099-01-01T00:00:00Z", R"(evil\nrelayhost = [evil])");
  for (const auto& generator : mx::publish::generators()) {
    const auto rendered = render(std::string(generator.name), json);
    CHECK_THAT(rendered.text, Catch::Contains("#   author:    evil\\x0arelayhost = [evil]\n"));
    CHECK(config_lines(rendered.text).size() == 2);
  }
  CHECK(mx::publish::comment_text("a\tb\\c\x7f\xc3\xa9") == "a\\x09b\\x5cc\\x7f\\xc3\\xa9");
}

TEST_CASE("config_name: only canonical names reach a configuration line") {
  using mx::publish::config_name;
  using mx::publish::UnsafeName;
  CHECK(config_name("mx1.example.com", false) == "mx1.example.com");
  CHECK(config_name("xn--bcher-kva.example", false) == "xn--bcher-kva.example");
  CHECK(config_name(".example.net", true) == ".example.net");
  for (const std::string& bad : std::vector<std::string>{
           "", ".example.net", "evil.example\nrelayhost", "a b.example", "a,b.example",
           "a:b.example", "Upper.example", "a..b.example", "example.com.", "-a.example",
           "*.example.com", "a/b.example", "#a.example", std::string(254, 'a')}) {
    INFO(mx::publish::comment_text(bad));
    CHECK_THROWS_AS(config_name(bad, false), UnsafeName);
  }
  CHECK_THROWS_AS(config_name("..example.net", true), UnsafeName);
  CHECK_THROWS_AS(config_name(".", true), UnsafeName);

  // A list built by hand, past the parser's checks: every generator refuses to write it.
  auto list = parse(mx::test::sample_list());
  list.policies["evil.example\nrelayhost = [evil]"] = list.policies.at("example.com");
  auto with_bad_pattern = parse(mx::test::sample_list());
  with_bad_pattern.policies.at("example.com").policy.mxs.push_back("mx.example.com, evil");
  for (const auto& generator : mx::publish::generators()) {
    INFO(generator.name);
    CHECK_THROWS_AS(render_list(generator, list, "", "x", "t", now), UnsafeName);
    CHECK_THROWS_AS(render_list(generator, with_bad_pattern, "", "x", "t", now), UnsafeName);
  }
}
