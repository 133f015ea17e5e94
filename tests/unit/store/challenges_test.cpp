// The challenges table: requests recorded, superseded, verified, expired and applied, and what
// `triage --out` is given to apply.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

#include "store/challenges.hpp"
#include "store/schema.hpp"

namespace {

using mx::store::Challenge;
using mx::store::ChallengeRequest;

class TempDb {
 public:
  TempDb() {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("mxscan-challenges-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir_);
  }
  ~TempDb() { std::filesystem::remove_all(dir_); }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;

  [[nodiscard]] std::filesystem::path path() const { return dir_ / "list.db"; }

 private:
  std::filesystem::path dir_;
};

ChallengeRequest request(const std::string& domain, const std::string& token,
                         const std::string& created_at = "2026-12-01T10:00:00Z",
                         const std::string& expires_at = "2026-12-08T10:00:00Z") {
  return {.domain = domain,
          .action = "update",
          .mxs = {".mail.example.net", "mx.example.com"},
          .token = token,
          .created_at = created_at,
          .expires_at = expires_at};
}

std::string outcome(const mx::store::Database& db, std::int64_t id) {
  for (const auto& challenge : mx::store::list_challenges(db)) {
    if (challenge.id == id) {
      return challenge.outcome;
    }
  }
  return "missing";
}

constexpr auto kNow = "2026-12-03T00:00:00Z";

}  // namespace

TEST_CASE("challenge: a request is stored whole and pending", "[unit]") {
  const TempDb temp;
  auto db = mx::store::open_for_writing(temp.path());
  const auto created = mx::store::create_challenge(db, request("example.com", "t1"));
  CHECK(created.superseded.empty());

  const auto pending = mx::store::newest_pending(db, "example.com");
  REQUIRE(pending);
  CHECK(pending->id == created.id);
  CHECK(pending->domain == "example.com");
  CHECK(pending->action == "update");
  CHECK(pending->mxs == std::vector<std::string>{".mail.example.net", "mx.example.com"});
  CHECK(pending->token == "t1");
  CHECK(pending->created_at == "2026-12-01T10:00:00Z");
  CHECK(pending->expires_at == "2026-12-08T10:00:00Z");
  CHECK_FALSE(pending->verified_at);
  CHECK_FALSE(pending->applied_at);
  CHECK_FALSE(pending->applied_run);
  CHECK(pending->outcome == "pending");
  CHECK_FALSE(mx::store::newest_pending(db, "example.org"));

  auto removal = request("example.org", "t2");
  removal.action = "remove";
  removal.mxs.clear();
  mx::store::create_challenge(db, removal);
  const auto removal_row = mx::store::newest_pending(db, "example.org");
  REQUIRE(removal_row);
  CHECK(removal_row->mxs.empty());
  // Tokens name one request each.
  CHECK_THROWS_AS(mx::store::create_challenge(db, request("example.net", "t1")),
                  mx::store::StoreError);
  CHECK(mx::store::list_challenges(db).size() == 2);
}

TEST_CASE("challenge: a new request supersedes the domain's pending ones only", "[unit]") {
  const TempDb temp;
  auto db = mx::store::open_for_writing(temp.path());
  const auto first = mx::store::create_challenge(db, request("example.com", "a"));
  const auto second = mx::store::create_challenge(db, request("example.com", "b"));
  CHECK(second.superseded == std::vector<std::int64_t>{first.id});
  const auto other = mx::store::create_challenge(db, request("example.org", "c"));
  CHECK(other.superseded.empty());
  REQUIRE(mx::store::mark_verified(db, second.id, "2026-12-02T00:00:00Z"));

  // A verified request is authenticated; an unauthenticated newer one must not cancel it.
  const auto third = mx::store::create_challenge(db, request("example.com", "d"));
  CHECK(third.superseded.empty());
  CHECK(outcome(db, first.id) == "superseded");
  CHECK(outcome(db, second.id) == "verified");
  CHECK(outcome(db, other.id) == "pending");
  CHECK(mx::store::newest_pending(db, "example.com")->id == third.id);

  // Nothing is ever deleted: the domain's whole history is listed, oldest first.
  const auto history = mx::store::list_challenges(db, std::string("example.com"));
  REQUIRE(history.size() == 3);
  CHECK(history[0].id == first.id);
  CHECK(history[2].id == third.id);
  CHECK(mx::store::list_challenges(db).size() == 4);
}

TEST_CASE("challenge: verify and expire move only pending requests", "[unit]") {
  const TempDb temp;
  auto db = mx::store::open_for_writing(temp.path());
  const auto a = mx::store::create_challenge(db, request("example.com", "a"));
  CHECK(mx::store::mark_expired(db, a.id));
  CHECK(outcome(db, a.id) == "expired");
  CHECK_FALSE(mx::store::newest_pending(db, "example.com"));
  CHECK_FALSE(mx::store::mark_verified(db, a.id, kNow));
  CHECK(outcome(db, a.id) == "expired");

  const auto b = mx::store::create_challenge(db, request("example.com", "b"));
  CHECK(mx::store::mark_verified(db, b.id, kNow));
  CHECK_FALSE(mx::store::mark_expired(db, b.id));
  const auto history = mx::store::list_challenges(db);
  REQUIRE(history.size() == 2);
  CHECK(history[1].outcome == "verified");
  CHECK(history[1].verified_at == std::optional<std::string>(kNow));
}

TEST_CASE("challenge: verified_unapplied gives live verified requests, oldest first", "[unit]") {
  const TempDb temp;
  auto db = mx::store::open_for_writing(temp.path());
  // Verified in the opposite order of creation: the order is the requests'.
  const auto older = mx::store::create_challenge(db, request("b.example", "1"));
  const auto newer = mx::store::create_challenge(db, request("a.example", "2"));
  REQUIRE(mx::store::mark_verified(db, newer.id, "2026-12-01T11:00:00Z"));
  REQUIRE(mx::store::mark_verified(db, older.id, "2026-12-01T12:00:00Z"));
  // Not given: pending, superseded, expired, past its expiry, applied.
  mx::store::create_challenge(db, request("pending.example", "3"));
  const auto superseded = mx::store::create_challenge(db, request("c.example", "4"));
  mx::store::create_challenge(db, request("c.example", "5"));
  CHECK(outcome(db, superseded.id) == "superseded");
  const auto expired = mx::store::create_challenge(db, request("d.example", "6"));
  REQUIRE(mx::store::mark_expired(db, expired.id));
  const auto lapsed = mx::store::create_challenge(
      db, request("e.example", "7", "2026-11-20T00:00:00Z", "2026-12-03T00:00:00Z"));
  REQUIRE(mx::store::mark_verified(db, lapsed.id, "2026-11-21T00:00:00Z"));
  const auto applied = mx::store::create_challenge(db, request("f.example", "8"));
  REQUIRE(mx::store::mark_verified(db, applied.id, "2026-12-01T13:00:00Z"));
  mx::store::mark_applied(db, applied.id, 7, "2026-12-02T00:00:00Z");

  const auto due = mx::store::verified_unapplied(db, kNow);
  REQUIRE(due.size() == 2);
  CHECK(due[0].id == older.id);
  CHECK(due[0].domain == "b.example");
  CHECK(due[1].id == newer.id);
  CHECK(due[1].verified_at == std::optional<std::string>("2026-12-01T11:00:00Z"));
  // expires_at is exclusive: a request expiring now is no longer due.
  CHECK(mx::store::verified_unapplied(db, "2026-12-02T23:59:59Z").size() == 3);
}

TEST_CASE("challenge: mark_applied records the run, once, and only for verified requests",
          "[unit]") {
  const TempDb temp;
  auto db = mx::store::open_for_writing(temp.path());
  const auto verified = mx::store::create_challenge(db, request("example.com", "a"));
  REQUIRE(mx::store::mark_verified(db, verified.id, "2026-12-02T00:00:00Z"));
  mx::store::mark_applied(db, verified.id, 42, kNow);

  const auto rows = mx::store::list_challenges(db);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].outcome == "applied");
  CHECK(rows[0].applied_at == std::optional<std::string>(kNow));
  CHECK(rows[0].applied_run == std::optional<std::int64_t>(42));
  CHECK(rows[0].verified_at == std::optional<std::string>("2026-12-02T00:00:00Z"));
  CHECK(mx::store::verified_unapplied(db, kNow).empty());

  CHECK_THROWS_AS(mx::store::mark_applied(db, verified.id, 43, kNow), mx::store::StoreError);
  const auto pending = mx::store::create_challenge(db, request("example.org", "b"));
  CHECK_THROWS_AS(mx::store::mark_applied(db, pending.id, 43, kNow), mx::store::StoreError);
  CHECK(outcome(db, pending.id) == "pending");
  CHECK(mx::store::list_challenges(db)[0].applied_run == std::optional<std::int64_t>(42));
}
