// `mxscan list sign|verify|render` end to end: the binary with GNUPGHOME set to a throwaway home,
// gpg itself as the independent checker of what `sign` wrote, and Postfix's postmap as the judge
// of what `render --format postfix` wrote.
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/unit/publish/gpg_home.hpp"

namespace {

using mx::test::GpgHome;
using mx::test::ProcessResult;
using mx::test::run_process;
using mx::test::slurp;
using mx::test::spill;

// A key, and a valid list signed with it by `mxscan list sign`.
struct Signed {
  GpgHome gpg;
  std::string fingerprint = gpg.generate_key("signer@example.test");
  std::string list = gpg.file("list.json");

  explicit Signed(const std::string& json = mx::test::sample_list()) {
    spill(list, json);
    const auto sign = gpg.mxscan({"list", "sign", list, "--key", fingerprint});
    INFO(sign.err);
    REQUIRE(sign.exit_code == 0);
    REQUIRE(std::filesystem::exists(list + ".asc"));
  }

  [[nodiscard]] ProcessResult verify(std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"list", "verify", list};
    if (extra.empty()) {
      extra = {"--key", fingerprint};
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return gpg.mxscan(args);
  }
};

// postmap with a configuration directory of its own (an empty main.cf): no system Postfix needed.
struct Postmap {
  std::filesystem::path config;

  explicit Postmap(const std::filesystem::path& dir) : config(dir / "postfix-config") {
    std::filesystem::create_directory(config);
    spill(config / "main.cf", "");
  }
  [[nodiscard]] ProcessResult build(const std::string& table) const {
    return run_process({"/usr/sbin/postmap", "-c", config.string(), "hash:" + table});
  }
  [[nodiscard]] ProcessResult query(const std::string& table, const std::string& key) const {
    return run_process({"/usr/sbin/postmap", "-c", config.string(), "-q", key, "hash:" + table});
  }
};

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

}  // namespace

TEST_CASE("list sign then list verify: exit 0, and gpg --verify accepts the signature") {
  Signed s;
  CHECK(slurp(s.list + ".asc").rfind("-----BEGIN PGP SIGNATURE-----", 0) == 0);
  const auto verify = s.verify();
  INFO(verify.err);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::Contains("good signature by " + s.fingerprint));
  CHECK_THAT(verify.out, Catch::Contains("3 domains (2 enforce, 1 testing)"));

  // The fingerprint as gpg prints it: lower case, in groups.
  std::string spaced;
  for (std::size_t i = 0; i < s.fingerprint.size(); i += 4) {
    spaced += s.fingerprint.substr(i, 4) + " ";
  }
  for (auto& c : spaced) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  CHECK(s.verify({"--key", spaced}).exit_code == 0);

  // gpg, independently: what everyone who checks by hand runs.
  const auto gpg = run_process(s.gpg.with_home({"gpg", "--verify", s.list + ".asc", s.list}));
  INFO(gpg.err);
  CHECK(gpg.exit_code == 0);
  CHECK_THAT(gpg.err, Catch::Contains("Good signature"));

  // --out and --signature.
  const auto elsewhere = s.gpg.file("elsewhere.asc");
  REQUIRE(s.gpg.mxscan({"list", "sign", s.list, "--out", elsewhere}).exit_code == 0);
  CHECK(s.verify({"--key", s.fingerprint, "--signature", elsewhere}).exit_code == 0);
}

TEST_CASE("list verify: a tampered list is refused, exit 1") {
  Signed s;
  auto json = slurp(s.list);
  json.replace(json.find("mx1.example.com"), 15, "mx1.attacker.io");
  spill(s.list, json);
  const auto verify = s.verify();
  CHECK(verify.exit_code == 1);
  CHECK_THAT(verify.err, Catch::Contains("REFUSED") && Catch::Contains("BAD signature"));
  CHECK(verify.out.empty());
}

TEST_CASE("list verify: a key other than the pinned one is refused, exit 1") {
  Signed s;
  const auto other = s.gpg.generate_key("other@example.test");
  const auto verify = s.verify({"--key", other});
  CHECK(verify.exit_code == 1);
  CHECK_THAT(verify.err, Catch::Contains("signed by " + s.fingerprint) &&
                             Catch::Contains("not by the pinned key " + other));
}

TEST_CASE("list verify: a missing signature is refused, exit 1") {
  Signed s;
  std::filesystem::remove(s.list + ".asc");
  const auto verify = s.verify();
  CHECK(verify.exit_code == 1);
  CHECK_THAT(verify.err, Catch::Contains("no signature: " + s.list + ".asc does not exist"));
  const auto elsewhere = s.verify({"--key", s.fingerprint, "--signature", s.gpg.file("none.asc")});
  CHECK(elsewhere.exit_code == 1);
}

TEST_CASE("list verify: an expired list is refused even with a good signature, exit 1") {
  GpgHome gpg;
  const auto fingerprint = gpg.generate_key("signer@example.test");
  const auto list = gpg.file("old.json");
  spill(list, mx::test::sample_list("2020-06-03T10:25:12.710055-07:00"));
  // `mxscan list sign` refuses an expired list...
  const auto sign = gpg.mxscan({"list", "sign", list, "--key", fingerprint});
  CHECK(sign.exit_code == 1);
  CHECK_THAT(sign.err, Catch::Contains("expired"));
  CHECK_FALSE(std::filesystem::exists(list + ".asc"));
  // ...so gpg signs it, as an old list replayed would have been.
  gpg.gpg(
      {"--local-user", fingerprint, "--armor", "--detach-sign", "--output", list + ".asc", list});
  const auto verify = gpg.mxscan({"list", "verify", list, "--key", fingerprint});
  CHECK(verify.exit_code == 1);
  CHECK_THAT(verify.err, Catch::Contains("REFUSED") &&
                             Catch::Contains("expired at 2020-06-03T10:25:12.710055-07:00"));
}

TEST_CASE("list verify --keyring: the keyring's keys are pinned, the user's keyring unused") {
  Signed s;
  const auto other = s.gpg.generate_key("other@example.test");
  const auto signer_ring = s.gpg.file("signer.asc");
  const auto other_ring = s.gpg.file("other.gpg");
  spill(signer_ring, s.gpg.export_public(s.fingerprint));
  // A binary export works as well as an armoured one.
  s.gpg.gpg({"--output", other_ring, "--export", other});

  const auto good = s.verify({"--keyring", signer_ring});
  INFO(good.err);
  CHECK(good.exit_code == 0);
  // The signer's key is in GNUPGHOME, but not in the keyring given: unknown.
  const auto unknown = s.verify({"--keyring", other_ring});
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("no public key"));
  // Neither --key nor --keyring; a keyring that is not one; a keyring that does not exist.
  CHECK(s.gpg.mxscan({"list", "verify", s.list}).exit_code == 2);
  spill(s.gpg.file("junk.asc"), "junk");
  CHECK(s.verify({"--keyring", s.gpg.file("junk.asc")}).exit_code == 2);
  CHECK(s.verify({"--keyring", s.gpg.file("none.asc")}).exit_code == 2);
  CHECK(s.verify({"--key", "842AEA40C5BCD6E1"}).exit_code == 2);  // a key ID, not a fingerprint
}

TEST_CASE("list verify: the EFF's real signature, by a key not on this machine, exit 1") {
  GpgHome gpg;
  const auto mine = gpg.generate_key("signer@example.test");
  const auto list = mx::test::shared_data("eff-policy.json").string();
  const auto signature = mx::test::shared_data("eff-policy.json.asc").string();
  const auto pinned_eff = gpg.mxscan(
      {"list", "verify", list, "--signature", signature, "--key", mx::test::eff_fingerprint});
  CHECK(pinned_eff.exit_code == 1);
  CHECK_THAT(pinned_eff.err,
             Catch::Contains("no public key") && Catch::Contains(mx::test::eff_fingerprint));
  const auto pinned_mine = gpg.mxscan({"list", "verify", list, "--key", mine});
  CHECK(pinned_mine.exit_code == 1);
  CHECK_THAT(pinned_mine.err, Catch::Contains("no public key"));
  spill(gpg.file("mine.asc"), gpg.export_public(mine));
  const auto keyring = gpg.mxscan({"list", "verify", list, "--keyring", gpg.file("mine.asc")});
  CHECK(keyring.exit_code == 1);
  CHECK_THAT(keyring.err, Catch::Contains("no public key"));
}

TEST_CASE("list sign: a malformed or unreadable list is never signed, exit 2") {
  GpgHome gpg;
  const auto fingerprint = gpg.generate_key("signer@example.test");
  const auto list = gpg.file("bad.json");
  auto json = mx::test::sample_list();
  json.replace(json.find("\"enforce\""), 9, "\"strict\"");
  spill(list, json);
  const auto sign = gpg.mxscan({"list", "sign", list, "--key", fingerprint});
  CHECK(sign.exit_code == 2);
  CHECK_THAT(sign.err, Catch::Contains("mode") && Catch::Contains("refusing to sign"));
  CHECK_FALSE(std::filesystem::exists(list + ".asc"));
  CHECK(gpg.mxscan({"list", "sign", gpg.file("none.json")}).exit_code == 2);
  CHECK(gpg.mxscan({"list", "sign", list, "--key", "not-a-key"}).exit_code == 2);
  // A valid list, and a --key with no secret key here.
  spill(list, mx::test::sample_list());
  CHECK(gpg.mxscan({"list", "sign", list, "--key", std::string(40, 'A')}).exit_code == 2);

  // A malformed list that is signed all the same (by gpg) is refused by verify: exit 1.
  spill(list, json);
  gpg.gpg(
      {"--local-user", fingerprint, "--armor", "--detach-sign", "--output", list + ".asc", list});
  const auto verify = gpg.mxscan({"list", "verify", list, "--key", fingerprint});
  CHECK(verify.exit_code == 1);
  CHECK_THAT(verify.err, Catch::Contains("not a valid policy list"));
}

TEST_CASE("list render --format postfix: postmap accepts it and finds the enforced domains") {
  GpgHome dir;  // for its scratch directory
  const auto list = dir.file("list.json");
  spill(list, mx::test::sample_list());
  const auto table = dir.file("starttls-policy");
  const auto render =
      run_process({MXSCAN_BINARY, "list", "render", list, "--format", "postfix", "--out", table});
  INFO(render.err);
  REQUIRE(render.exit_code == 0);
  CHECK(render.out.empty());
  const auto stdout_render =
      run_process({MXSCAN_BINARY, "list", "render", list, "--format", "postfix"});
  CHECK(stdout_render.exit_code == 0);
  CHECK(stdout_render.out == slurp(table));

  const Postmap postmap(dir.dir());
  const auto build = postmap.build(table);
  INFO(build.err);
  REQUIRE(build.exit_code == 0);
  CHECK(build.err.empty());  // no warning about any line
  const auto enforced = postmap.query(table, "example.com");
  CHECK(enforced.exit_code == 0);
  CHECK(enforced.out == "secure match=mx1.example.com:.example.net\n");
  CHECK(postmap.query(table, "aliased.example").out == "secure match=mx.hosting.example\n");
  // Not enforced: the testing entry, a subdomain, a domain not listed (postmap -q exits 1).
  CHECK(postmap.query(table, "testing.example").exit_code == 1);
  CHECK(postmap.query(table, "sub.example.com").exit_code == 1);
  CHECK(postmap.query(table, "other.example").exit_code == 1);
}

TEST_CASE("list render: an expired list renders no secure entry, says so, and exits 1") {
  GpgHome dir;
  const auto list = dir.file("old.json");
  spill(list, mx::test::sample_list("2020-06-03T10:25:12.710055-07:00"));
  const auto table = dir.file("starttls-policy");
  const auto render =
      run_process({MXSCAN_BINARY, "list", "render", list, "--format", "postfix", "--out", table});
  CHECK(render.exit_code == 1);
  CHECK_THAT(render.err, Catch::Contains("EXPIRED at 2020-06-03T10:25:12.710055-07:00") &&
                             Catch::Contains("NOTHING ENFORCED"));
  // The fallback is written all the same: the MTA gets opportunistic TLS, not a stale list.
  const auto text = slurp(table);
  CHECK_THAT(text, Catch::Contains("THIS LIST EXPIRED"));
  CHECK_THAT(text, !Catch::Contains("\nexample.com secure"));
  CHECK(config_lines(text).empty());

  const Postmap postmap(dir.dir());
  REQUIRE(postmap.build(table).exit_code == 0);
  CHECK(postmap.query(table, "example.com").exit_code == 1);
  CHECK(postmap.query(table, "aliased.example").exit_code == 1);

  const auto exim = run_process({MXSCAN_BINARY, "list", "render", list, "--format", "exim"});
  CHECK(exim.exit_code == 1);
  CHECK(config_lines(exim.out).empty());
}

TEST_CASE("list render --format exim: the lsearch file parses back to the list's entries") {
  GpgHome dir;
  const auto list = dir.file("list.json");
  spill(list, mx::test::sample_list());
  const auto out = dir.file("starttls-policy.exim");
  const auto render =
      run_process({MXSCAN_BINARY, "list", "render", list, "--format", "exim", "--out", out});
  INFO(render.err);
  REQUIRE(render.exit_code == 0);

  // lsearch: "key: data"; the data a colon-separated Exim list.
  std::vector<std::pair<std::string, std::vector<std::string>>> entries;
  for (const auto& line : config_lines(slurp(out))) {
    const auto colon = line.find(": ");
    REQUIRE(colon != std::string::npos);
    std::vector<std::string> patterns;
    std::istringstream data(line.substr(colon + 2));
    std::string pattern;
    while (std::getline(data, pattern, ':')) {
      patterns.push_back(pattern);
    }
    entries.emplace_back(line.substr(0, colon), patterns);
  }
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected{
      {"aliased.example", {"mx.hosting.example"}},
      {"example.com", {"mx1.example.com", "*.example.net"}}};
  CHECK(entries == expected);
}

TEST_CASE("list render: usage errors exit 2 and write nothing") {
  GpgHome dir;
  const auto list = dir.file("list.json");
  spill(list, mx::test::sample_list());
  const auto out = dir.file("out");
  CHECK(run_process({MXSCAN_BINARY, "list", "render", list, "--format", "sendmail", "--out", out})
            .exit_code == 2);
  CHECK(run_process({MXSCAN_BINARY, "list", "render", list}).exit_code == 2);
  spill(list, "{\"version\": \"0.1\"}");
  const auto malformed =
      run_process({MXSCAN_BINARY, "list", "render", list, "--format", "postfix", "--out", out});
  CHECK(malformed.exit_code == 2);
  CHECK_FALSE(malformed.err.empty());
  CHECK(run_process({MXSCAN_BINARY, "list", "render", dir.file("none.json"), "--format", "exim"})
            .exit_code == 2);
  CHECK_FALSE(std::filesystem::exists(out));
}
