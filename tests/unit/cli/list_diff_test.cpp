// `mxscan list diff OLD NEW [--json]` through the binary: what it prints and its exit codes.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

const std::string kHeader =
    R"("timestamp": "2020-05-20T10:25:12Z", "expires": "2020-06-03T10:25:12Z", )"
    R"("version": "0.1", "author": "test", "policy-aliases": {})";

std::string write(const mx::test::TempDir& dir, const std::string& name, const std::string& text) {
  const auto path = (dir.path() / name).string();
  std::ofstream(path) << text;
  return path;
}

std::string list_of(const std::string& policies) {
  return "{" + kHeader + R"(, "policies": )" + policies + "}";
}

mx::test::ProcessResult mxscan(const std::vector<std::string>& args) {
  std::vector<std::string> argv{MXSCAN_BINARY, "list", "diff"};
  argv.insert(argv.end(), args.begin(), args.end());
  return mx::test::run_process(argv);
}

}  // namespace

TEST_CASE("mxscan list diff prints the changes and exits 0", "[loopback]") {
  const mx::test::TempDir dir;
  const auto before = write(dir, "old.json", list_of(R"({
      "a.example": {"mode": "testing", "mxs": ["mx.a.example"]},
      "b.example": {"mode": "testing", "mxs": ["mx.b.example"]}})"));
  const auto after = write(dir, "new.json", list_of(R"({
      "b.example": {"mode": "enforce", "mxs": ["MX.b.example."]},
      "c.example": {"mode": "testing", "mxs": [".c.example"]}})"));

  SECTION("text") {
    const auto result = mxscan({before, after});
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out ==
          "- a.example testing mx.a.example\n"
          "~ b.example mode testing -> enforce\n"
          "+ c.example testing .c.example\n"
          "1 added, 1 removed, 1 changed; header unchanged\n");
  }
  SECTION("JSON Lines, the summary on stderr") {
    const auto result = mxscan({before, after, "--json"});
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);
    std::vector<boost::json::object> lines;
    std::istringstream in(result.out);
    for (std::string line; std::getline(in, line);) {
      lines.push_back(boost::json::parse(line).as_object());
    }
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].at("domain") == "a.example");
    CHECK(lines[0].at("change") == "removed");
    CHECK(lines[1].at("domain") == "b.example");
    CHECK(lines[1].at("mode") == boost::json::value{{"before", "testing"}, {"after", "enforce"}});
    CHECK(lines[2].at("change") == "added");
    CHECK(lines[2].at("after").at("mxs") == boost::json::array{".c.example"});
    CHECK(result.err.find("1 added, 1 removed, 1 changed") != std::string::npos);
  }
  SECTION("identical lists") {
    const auto result = mxscan({before, before, "--json"});
    CHECK(result.exit_code == 0);
    CHECK(result.out.empty());
  }
}

TEST_CASE("mxscan list diff: malformed or unreadable lists exit 2 with every problem",
          "[loopback]") {
  const mx::test::TempDir dir;
  const auto good = write(dir, "good.json", list_of("{}"));
  const auto bad = write(dir, "bad.json", list_of(R"({
      "a.example": {"mode": "strict", "mxs": ["mx.a.example", "bad host"]}})"));
  const auto broken = write(dir, "broken.json", "{\n  \"version\": \"0.1\",,\n}");
  const auto missing = (dir.path() / "missing.json").string();

  const auto result = mxscan({bad, broken});
  CHECK(result.exit_code == 2);
  CHECK(result.out.empty());
  CHECK(result.err.find(bad + R"(: policies["a.example"].mode: )") != std::string::npos);
  CHECK(result.err.find(bad + R"(: policies["a.example"].mxs[1]: )") != std::string::npos);
  CHECK(result.err.find(broken + ": $: 2:20: ") != std::string::npos);

  const auto unreadable = mxscan({good, missing, "--json"});
  CHECK(unreadable.exit_code == 2);
  CHECK(unreadable.out.empty());
  CHECK(unreadable.err.find(missing + ": $: cannot read") != std::string::npos);

  CHECK(mxscan({good}).exit_code == 2);
}
