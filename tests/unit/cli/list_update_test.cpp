// `mxscan list update` end to end: the real binary against a loopback world whose HTTPS servers
// publish policy lists and their signatures, made with throwaway gpg keys. Each refusal leaves the
// list and signature held and the rendered Postfix table byte-identical, says why, and runs no
// reload; a held list that expires falls back to a table that enforces nothing.

#include <time.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/loopback_world.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/unit/publish/gpg_home.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using mx::test::GpgHome;
using mx::test::ProcessResult;
using mx::test::slurp;
using mx::test::spill;
using mx::test::World;
using mx::world::HttpsBehaviour;
using mx::world::HttpsResponse;
using mx::world::HttpsServer;
using mx::world::HttpsSite;

constexpr const char* far_future = "2099-01-01T00:00:00Z";

// The signing keys, made once per test process: the pinned one and another whose public key is
// in the same GNUPGHOME (so that its signatures are good, by the wrong key).
struct Keys {
  GpgHome home;
  std::string pinned = home.generate_key("pinned@lists.test");
  std::string other = home.generate_key("other@lists.test");
};

Keys& keys() {
  static Keys k;
  return k;
}

// A policy list published at `timestamp`: example.com enforced, plus `extra` enforced (so that
// two lists render differently), and a testing entry.
std::string list_json(const std::string& timestamp, const std::string& expires,
                      const std::string& extra = "v1.example") {
  return R"({
  "timestamp": ")" +
         timestamp + R"(",
  "expires": ")" +
         expires + R"(",
  "version": "0.1",
  "author": "list update tests",
  "policy-aliases": {},
  "policies": {
    "example.com": {"mode": "enforce", "mxs": ["mx1.example.com"]},
    ")" + extra +
         R"(": {"mode": "enforce", "mxs": [".)" + extra + R"("]},
    "testing.example": {"mode": "testing", "mxs": ["mx.testing.example"]}
  }
}
)";
}

struct Signed {
  std::string list;
  std::string signature;
};

// `list` with a detached armoured signature by `key` (gpg itself: `list sign` refuses an expired
// list, and the tests need one).
Signed sign(const std::string& list, const std::string& key) {
  static int count = 0;
  const std::string name = "list" + std::to_string(count++) + ".json";
  spill(keys().home.dir() / name, list);
  keys().home.gpg({"--local-user", key, "--armor", "--detach-sign", "--output",
                   keys().home.file(name + ".asc"), keys().home.file(name)});
  return Signed{list, slurp(keys().home.dir() / (name + ".asc"))};
}

std::string rfc3339_utc(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// The files an update must leave alone when it fails.
struct Snapshot {
  std::string list;
  std::string signature;
  std::string rendered;
  bool operator==(const Snapshot&) const = default;
};

std::string read_or_missing(const fs::path& path) {
  return fs::exists(path) ? slurp(path) : std::string("<missing>");
}

// Lines of a Postfix table that enforce something (not comments).
std::vector<std::string> secure_lines(const std::string& table) {
  std::vector<std::string> lines;
  std::istringstream in(table);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.front() != '#' && line.find(" secure") != std::string::npos) {
      lines.push_back(line);
    }
  }
  return lines;
}

// A world of list publishers: each host serves /policy.json and /policy.json.asc (or whatever it
// is given) under a certificate for its name from the world's PKI; everything else is 404.
class Publishers {
 public:
  using Files = std::map<std::string, HttpsResponse>;

  HttpsServer& host(const std::string& name, Files files, mx::world::LeafSpec spec = {}) {
    HttpsBehaviour behaviour;
    behaviour.default_site =
        HttpsSite{world_.certificate_for(name, std::move(spec)), HttpsResponse::error(404)};
    behaviour.by_target = std::move(files);
    HttpsServer& server = world_.add_https_server(name, std::move(behaviour));
    ports_[name] = server.port();
    return server;
  }

  HttpsServer& publish(const std::string& name, const Signed& pair) {
    return host(name, {{"/policy.json", HttpsResponse::policy(pair.list)},
                       {"/policy.json.asc", HttpsResponse::policy(pair.signature)}});
  }

  void start() {
    world_.start();
    const auto options = world_.world_options();
    for (std::size_t i = 0; i + 1 < options.size(); ++i) {
      if (options[i] == "--resolver") {
        resolver_ = options[i + 1];
      } else if (options[i] == "--ca-file") {
        ca_file_ = options[i + 1];
      }
    }
  }

  [[nodiscard]] const std::string& resolver() const { return resolver_; }
  [[nodiscard]] const std::string& ca_file() const { return ca_file_; }

  [[nodiscard]] std::string url(const std::string& name) const {
    return "https://" + name + ":" + std::to_string(ports_.at(name)) + "/policy.json";
  }

  [[nodiscard]] fs::path state() const { return world_.dir() / "state"; }
  [[nodiscard]] fs::path rendered() const { return world_.dir() / "starttls-policy"; }

  // `mxscan list update` from `name` with the pinned key, rendering for Postfix and counting
  // reloads; `extra` options after the others (a later one overrides). GNUPGHOME is the keys'.
  ProcessResult update(const std::string& name, std::vector<std::string> extra = {},
                       bool allow_private = true) const {
    return keys().home.mxscan(arguments(name, std::move(extra), allow_private));
  }

  [[nodiscard]] std::vector<std::string> arguments(const std::string& name,
                                                   std::vector<std::string> extra,
                                                   bool allow_private = true) const {
    std::vector<std::string> args{
        "list",      "update",
        "--url",     url(name),
        "--key",     keys().pinned,
        "--state",   state().string(),
        "--render",  "postfix",
        "--out",     rendered().string(),
        "--reload",  "echo reloaded >> '" + (world_.dir() / "reloads").string() + "'",
        "--timeout", "2"};
    args.insert(args.end(), {"--resolver", resolver_, "--ca-file", ca_file_});
    if (allow_private) {
      args.emplace_back("--allow-private");
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  [[nodiscard]] int reloads() const {
    const fs::path log = world_.dir() / "reloads";
    if (!fs::exists(log)) {
      return 0;
    }
    const std::string text = slurp(log);
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  }

  [[nodiscard]] Snapshot snapshot() const {
    return Snapshot{read_or_missing(state() / "policy.json"),
                    read_or_missing(state() / "policy.json.asc"), read_or_missing(rendered())};
  }

 private:
  World world_;
  std::map<std::string, std::uint16_t> ports_;
  std::string resolver_;
  std::string ca_file_;
};

std::string text_of(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out + "stderr: " + r.err;
}

// The lists every refusal test starts from: v1 held (and rendered), then something wrong
// published at "bad.lists.test".
const Signed& held_pair() {
  static const Signed pair = sign(list_json("2026-01-01T00:00:00Z", far_future), keys().pinned);
  return pair;
}

// Publishes v1 at good.lists.test and `bad` at bad.lists.test, updates from the first, and
// returns what is held then (the test then updates from bad.lists.test).
Snapshot hold_v1(Publishers& world, const std::function<void(Publishers&)>& bad) {
  world.publish("good.lists.test", held_pair());
  bad(world);
  world.start();
  const auto first = world.update("good.lists.test");
  INFO(text_of(first));
  REQUIRE(first.exit_code == 0);
  REQUIRE(world.reloads() == 1);
  const Snapshot held = world.snapshot();
  REQUIRE(held.list == held_pair().list);
  REQUIRE(held.signature == held_pair().signature);
  REQUIRE(secure_lines(held.rendered).size() == 2);
  return held;
}

// A refused update: exit 1, the reason on stderr, nothing held or rendered changed, no reload.
void check_refused(const Publishers& world, const Snapshot& held, const ProcessResult& r,
                   const std::string& reason) {
  INFO(text_of(r));
  CHECK(r.exit_code == 1);
  CHECK(r.out.rfind("refused: ", 0) == 0);
  CHECK(r.out.find("kept list 2026-01-01T00:00:00Z") != std::string::npos);
  CHECK(r.err.find(reason) != std::string::npos);
  CHECK(world.snapshot() == held);
  CHECK(world.reloads() == 1);
}

}  // namespace

TEST_CASE(
    "mxscan list update: a newer list replaces the held one and reloads once; the same "
    "list again is unchanged",
    "[loopback]") {
  Publishers world;
  const Signed v2 =
      sign(list_json("2026-02-01T00:00:00+01:00", far_future, "v2.example"), keys().pinned);
  world.publish("good.lists.test", held_pair());
  world.publish("next.lists.test", v2);
  world.start();

  const auto first = world.update("good.lists.test");
  INFO(text_of(first));
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.rfind("updated: list (none) -> 2026-01-01T00:00:00Z", 0) == 0);
  CHECK(world.reloads() == 1);

  const auto second = world.update("next.lists.test");
  INFO(text_of(second));
  CHECK(second.exit_code == 0);
  CHECK(second.out.rfind("updated: list 2026-01-01T00:00:00Z -> 2026-02-01T00:00:00+01:00", 0) ==
        0);
  CHECK(second.err.empty());
  const Snapshot now = world.snapshot();
  CHECK(now.list == v2.list);
  CHECK(now.signature == v2.signature);
  CHECK(secure_lines(now.rendered) ==
        std::vector<std::string>{"example.com secure match=mx1.example.com",
                                 "v2.example secure match=.v2.example"});
  CHECK(world.reloads() == 2);
  // What gpg itself checks by hand.
  CHECK(keys()
            .home
            .gpg({"--verify", (world.state() / "policy.json.asc").string(),
                  (world.state() / "policy.json").string()})
            .exit_code == 0);

  const auto third = world.update("next.lists.test");
  INFO(text_of(third));
  CHECK(third.exit_code == 0);
  CHECK(third.out.rfind("unchanged: list 2026-02-01T00:00:00+01:00", 0) == 0);
  CHECK(third.out.find("unchanged\n") != std::string::npos);  // the rendered file
  CHECK(world.snapshot() == now);
  CHECK(world.reloads() == 2);
}

TEST_CASE("mxscan list update: --keyring pins the key without the user's keyring", "[loopback]") {
  Publishers world;
  world.publish("good.lists.test", held_pair());
  world.start();
  const mx::test::TempDir empty_home;
  const fs::path keyring = empty_home.path() / "list-key.asc";
  spill(keyring, keys().home.export_public(keys().pinned));
  std::vector<std::string> argv{"/usr/bin/env", "GNUPGHOME=" + empty_home.path().string(),
                                MXSCAN_BINARY};
  const auto args = world.arguments("good.lists.test", {"--keyring", keyring.string()});
  argv.insert(argv.end(), args.begin(), args.end());
  const auto with_keyring = mx::test::run_process(argv);
  INFO(text_of(with_keyring));
  CHECK(with_keyring.exit_code == 0);
  CHECK(world.snapshot().list == held_pair().list);
  // Without it, that GNUPGHOME knows no key: refused.
  const auto without = mx::test::run_process(
      {"/usr/bin/env", "GNUPGHOME=" + empty_home.path().string(), MXSCAN_BINARY, "list", "update",
       "--url", world.url("good.lists.test"), "--key", keys().pinned, "--state",
       (empty_home.path() / "state").string(), "--allow-private", "--ca-file", world.ca_file(),
       "--resolver", world.resolver()});
  INFO(text_of(without));
  CHECK(without.exit_code == 1);
  CHECK(without.err.find("no public key") != std::string::npos);
}

TEST_CASE("mxscan list update: a bad signature is refused", "[loopback]") {
  Publishers world;
  const Signed v2 =
      sign(list_json("2026-02-01T00:00:00Z", far_future, "v2.example"), keys().pinned);
  std::string altered = v2.list;
  altered.replace(altered.find("mx1.example.com"), 15, "mx9.example.com");
  const Snapshot held = hold_v1(world, [&](Publishers& w) {
    w.publish("bad.lists.test", Signed{altered, v2.signature});
  });
  check_refused(world, held, world.update("bad.lists.test"), "BAD signature");
}

TEST_CASE("mxscan list update: a list signed by another key is refused", "[loopback]") {
  Publishers world;
  const Signed v2 = sign(list_json("2026-02-01T00:00:00Z", far_future, "v2.example"), keys().other);
  const Snapshot held = hold_v1(world, [&](Publishers& w) { w.publish("bad.lists.test", v2); });
  check_refused(world, held, world.update("bad.lists.test"), "signed by " + keys().other);
}

TEST_CASE("mxscan list update: a missing signature is refused", "[loopback]") {
  Publishers world;
  const Signed v2 =
      sign(list_json("2026-02-01T00:00:00Z", far_future, "v2.example"), keys().pinned);
  const Snapshot held = hold_v1(world, [&](Publishers& w) {
    w.host("bad.lists.test", {{"/policy.json", HttpsResponse::policy(v2.list)}});
  });
  check_refused(world, held, world.update("bad.lists.test"), "policy.json.asc answered 404");
}

TEST_CASE("mxscan list update: an expired list is refused, however well signed", "[loopback]") {
  Publishers world;
  const Signed expired =
      sign(list_json("2026-02-01T00:00:00Z", "2026-02-15T00:00:00Z", "v2.example"), keys().pinned);
  const Snapshot held =
      hold_v1(world, [&](Publishers& w) { w.publish("bad.lists.test", expired); });
  check_refused(world, held, world.update("bad.lists.test"),
                "the list expired at 2026-02-15T00:00:00Z");
}

TEST_CASE(
    "mxscan list update: a replayed older list, or another list of the same time, is "
    "refused",
    "[loopback]") {
  const bool same_time = GENERATE(false, true);
  INFO((same_time ? "same timestamp, other content" : "older timestamp"));
  Publishers world;
  // The same instant written at another offset is no newer either.
  const Signed replayed =
      sign(list_json(same_time ? "2026-01-01T01:00:00+01:00" : "2025-12-01T00:00:00Z", far_future,
                     "v0.example"),
           keys().pinned);
  const Snapshot held =
      hold_v1(world, [&](Publishers& w) { w.publish("bad.lists.test", replayed); });
  check_refused(world, held, world.update("bad.lists.test"), "rollback refused");
}

TEST_CASE("mxscan list update: a truncated download is refused", "[loopback]") {
  Publishers world;
  const Signed v2 =
      sign(list_json("2026-02-01T00:00:00Z", far_future, "v2.example"), keys().pinned);
  const std::string cut = v2.list.substr(0, v2.list.size() / 2);
  const Snapshot held = hold_v1(world, [&](Publishers& w) {
    // Content-Length promises the whole list; the connection closes halfway.
    w.host(
        "bad.lists.test",
        {{"/policy.json", HttpsResponse::raw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                             "Content-Length: " +
                                             std::to_string(v2.list.size()) + "\r\n\r\n" + cut)},
         {"/policy.json.asc", HttpsResponse::policy(v2.signature)}});
  });
  check_refused(world, held, world.update("bad.lists.test"), "closed at body");
}

TEST_CASE("mxscan list update: a server that never answers is refused within --timeout",
          "[loopback]") {
  Publishers world;
  const Snapshot held = hold_v1(world, [&](Publishers& w) {
    HttpsResponse silent = HttpsResponse::policy("{}");
    silent.delay = 60s;
    w.host("bad.lists.test", {{"/policy.json", silent}});
  });
  const auto start = std::chrono::steady_clock::now();
  const auto r = world.update("bad.lists.test", {"--timeout", "0.5"});
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  check_refused(world, held, r, "timeout at header");
}

TEST_CASE("mxscan list update: a redirect is refused, not followed", "[loopback]") {
  Publishers world;
  const Signed v2 =
      sign(list_json("2026-02-01T00:00:00Z", far_future, "v2.example"), keys().pinned);
  HttpsServer* target = nullptr;
  const Snapshot held = hold_v1(world, [&](Publishers& w) {
    target = &w.publish("next.lists.test", v2);
    w.host("bad.lists.test",
           {{"/policy.json", HttpsResponse::redirect(301, w.url("next.lists.test"))}});
  });
  check_refused(world, held, world.update("bad.lists.test"), "redirects are not followed");
  CHECK(target->requests().empty());
}

TEST_CASE("mxscan list update: an untrusted certificate is refused before any request",
          "[loopback]") {
  Publishers world;
  const Signed v2 =
      sign(list_json("2026-02-01T00:00:00Z", far_future, "v2.example"), keys().pinned);
  HttpsServer* untrusted = nullptr;
  const Snapshot held = hold_v1(world, [&](Publishers& w) {
    auto spec = mx::world::leaf_named({"bad.lists.test"}, mx::world::Issuer::unrelated_root);
    untrusted = &w.host("bad.lists.test",
                        {{"/policy.json", HttpsResponse::policy(v2.list)},
                         {"/policy.json.asc", HttpsResponse::policy(v2.signature)}},
                        spec);
  });
  check_refused(world, held, world.update("bad.lists.test"),
                "certificate refused: no chain to a trust anchor");
  CHECK(untrusted->requests().empty());
}

TEST_CASE("mxscan list update: a server on a special-purpose address needs --allow-private",
          "[loopback]") {
  Publishers world;
  const Signed v2 =
      sign(list_json("2026-02-01T00:00:00Z", far_future, "v2.example"), keys().pinned);
  const Snapshot held = hold_v1(world, [&](Publishers& w) { w.publish("bad.lists.test", v2); });
  check_refused(world, held, world.update("bad.lists.test", {}, false), "forbidden at connect");
}

TEST_CASE("mxscan list update: a failed reload puts the previous list and table back",
          "[loopback]") {
  Publishers world;
  const Signed v2 =
      sign(list_json("2026-02-01T00:00:00Z", far_future, "v2.example"), keys().pinned);
  const Snapshot held = hold_v1(world, [&](Publishers& w) { w.publish("next.lists.test", v2); });
  const auto failed = world.update("next.lists.test", {"--reload", "exit 3"});
  INFO(text_of(failed));
  CHECK(failed.exit_code == 1);
  CHECK(failed.out.rfind("failed: ", 0) == 0);
  CHECK(failed.err.find("the reload command failed (exit status 3)") != std::string::npos);
  CHECK(world.snapshot() == held);

  // Nothing was kept, so the next run tries the whole update again.
  const auto retried = world.update("next.lists.test");
  INFO(text_of(retried));
  CHECK(retried.exit_code == 0);
  CHECK(world.snapshot().list == v2.list);
  CHECK(world.reloads() == 2);
}

TEST_CASE("mxscan list update: a held list that expires falls back to enforcing nothing",
          "[loopback]") {
  Publishers world;
  const auto now = std::chrono::system_clock::now();
  const auto expiry = now + 3s;
  const Signed soon = sign(list_json(rfc3339_utc(now - 1h), rfc3339_utc(expiry)), keys().pinned);
  world.publish("good.lists.test", soon);
  world.start();
  const auto first = world.update("good.lists.test");
  INFO(text_of(first));
  REQUIRE(first.exit_code == 0);
  const Snapshot held = world.snapshot();
  REQUIRE(secure_lines(held.rendered).size() == 2);
  REQUIRE(world.reloads() == 1);

  std::this_thread::sleep_until(std::chrono::system_clock::time_point(expiry) + 300ms);
  // The maintainers published nothing newer: the channel serves the list held, now expired.
  const auto expired = world.update("good.lists.test");
  INFO(text_of(expired));
  CHECK(expired.exit_code == 1);
  CHECK(expired.out.find("HAS EXPIRED: nothing is enforced") != std::string::npos);
  CHECK(expired.err.find("WARNING: THE LIST HELD") != std::string::npos);
  const Snapshot fallback = world.snapshot();
  CHECK(fallback.list == held.list);
  CHECK(fallback.signature == held.signature);
  CHECK(secure_lines(fallback.rendered).empty());
  CHECK(fallback.rendered.find("THIS LIST EXPIRED") != std::string::npos);
  CHECK(world.reloads() == 2);

  // Again: still loud, nothing more to write or reload.
  const auto again = world.update("good.lists.test");
  INFO(text_of(again));
  CHECK(again.exit_code == 1);
  CHECK(world.snapshot() == fallback);
  CHECK(world.reloads() == 2);
}

TEST_CASE("mxscan list update: bad usage exits 2 and fetches nothing", "[unit]") {
  const mx::test::TempDir dir;
  const auto usage = [&](std::vector<std::string> args) {
    args.insert(args.begin(),
                {MXSCAN_BINARY, "list", "update", "--state", (dir.path() / "state").string()});
    return mx::test::run_process(args);
  };
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const Case c = GENERATE(
      Case{{"--url", "http://lists.test/policy.json", "--key", std::string(40, 'A')},
           "not an https:// URL"},
      Case{{"--url", "https://user@lists.test/policy.json", "--key", std::string(40, 'A')},
           "user information"},
      Case{{"--url", "https://127.0.0.1/policy.json", "--key", std::string(40, 'A')}, "IP literal"},
      Case{{"--url", "https://lists.test/policy.json", "--key", "DEADBEEF"},
           "not a full fingerprint"},
      Case{{"--url", "https://lists.test/policy.json", "--key", std::string(40, 'A'), "--render",
            "postfix"},
           "go together"},
      Case{{"--url", "https://lists.test/policy.json", "--key", std::string(40, 'A'), "--reload",
            "true"},
           "--reload needs --render"});
  const auto r = usage(c.args);
  INFO(text_of(r));
  CHECK(r.exit_code == 2);
  CHECK(r.err.find(c.says) != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "state"));
}
