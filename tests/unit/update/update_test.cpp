// The update channel's pure pieces: which list is newer (rollback protection) and how a download
// that brought no whole 200 is described. The whole channel runs end to end in
// tests/unit/cli/list_update_test.cpp.

#include <string>

#include <catch2/catch.hpp>

#include "list/policy_list.hpp"
#include "probes/https/get.hpp"
#include "probes/https/url.hpp"
#include "update/update.hpp"

namespace {

mx::list::PolicyList at(std::string timestamp) {
  mx::list::PolicyList list;
  list.timestamp = std::move(timestamp);
  return list;
}

const mx::probes::https::HttpsUrl url{"lists.example.org", 443, "/policy.json"};

}  // namespace

TEST_CASE("Update: only a strictly later timestamp is newer, whatever the offsets", "[unit]") {
  using mx::update::newer;
  CHECK(newer(at("2026-01-02T00:00:00Z"), at("2026-01-01T00:00:00Z")));
  CHECK(newer(at("2026-01-01T00:00:00.5Z"), at("2026-01-01T00:00:00Z")));
  CHECK(newer(at("2026-01-01T00:00:00-01:00"), at("2026-01-01T00:30:00Z")));
  CHECK_FALSE(newer(at("2026-01-01T00:00:00Z"), at("2026-01-01T00:00:00Z")));
  CHECK_FALSE(newer(at("2026-01-01T01:00:00+01:00"), at("2026-01-01T00:00:00Z")));
  CHECK_FALSE(newer(at("2025-12-31T23:59:59Z"), at("2026-01-01T00:00:00Z")));
  CHECK_FALSE(newer(at("not a time"), at("2026-01-01T00:00:00Z")));
  CHECK_FALSE(newer(at("2026-01-02T00:00:00Z"), at("not a time")));
}

TEST_CASE("Update: a download that brought no whole 200 says why", "[unit]") {
  using mx::probes::https::Ending;
  using mx::probes::https::Fetch;
  using mx::probes::https::Stage;
  using mx::update::download_failure;

  Fetch ok;
  ok.stage = Stage::done;
  ok.status = 200;
  CHECK_FALSE(download_failure(ok, url));

  Fetch timeout;
  timeout.stage = Stage::header;
  timeout.ending = Ending::timeout;
  timeout.detail = "the step's deadline passed";
  CHECK(download_failure(timeout, url) ==
        "cannot download https://lists.example.org/policy.json: timeout at header: the step's "
        "deadline passed");

  Fetch moved = ok;
  moved.status = 301;
  moved.reason = "Moved Permanently";
  moved.location = "https://elsewhere.example/\npolicy.json";
  CHECK(download_failure(moved, url) ==
        "https://lists.example.org/policy.json answered 301 Moved Permanently redirecting to "
        "https://elsewhere.example/\\x0apolicy.json: redirects are not followed");

  Fetch missing = ok;
  missing.status = 404;
  missing.reason = "Not Found";
  CHECK(download_failure(missing, url) ==
        "https://lists.example.org/policy.json answered 404 Not Found");
}
