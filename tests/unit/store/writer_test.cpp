#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "store/runs.hpp"
#include "store/schema.hpp"
#include "store/writer.hpp"

namespace {

std::filesystem::path fresh_path() {
  static std::atomic<int> counter{0};
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("mxscan-writer-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  return dir / "scan.db";
}

mx::store::DomainRow row(int i, const std::string& endpoint_ip) {
  mx::store::DomainRow r;
  r.domain = "d" + std::to_string(i) + ".test";
  r.status = "pass";
  r.scanned_at = "2026-11-28T00:00:00Z";
  r.result_json = "{}";
  r.hosts.push_back({"mx.provider.test", 10, "pass"});
  r.addresses.push_back({"mx.provider.test", endpoint_ip, "pass"});
  r.checks.push_back({"domain", "", "", "mx", "pass", "ok", "1 MX host"});
  r.checks.push_back({"host", "mx.provider.test", "", "starttls", "pass", "ok", ""});
  mx::store::EndpointRow e;
  e.ip = endpoint_ip;
  e.host = "mx.provider.test";
  e.stage = "done";
  e.ending = "completed";
  e.starttls = true;
  e.tls_version = "TLSv1.3";
  mx::store::CertificateRow c;
  c.sha256 = "ab" + std::string(62, '0');
  c.der = {0x30, 0x03, 0x02, 0x01, 0x01};
  c.subject = "CN=mx.provider.test";
  c.issuer = "CN=test CA";
  c.san_json = "[\"mx.provider.test\"]";
  c.key_type = "EC";
  c.key_bits = 256;
  e.certificate = c;
  r.endpoints.push_back(e);
  return r;
}

std::int64_t count(const mx::store::Database& db, const std::string& sql) {
  auto statement = db.prepare(sql);
  statement.step();
  return statement.column_int(0);
}

mx::store::RunInfo scan_info() {
  return {"scan", "{}", "digest", std::nullopt, std::nullopt, std::nullopt, "test"};
}

}  // namespace

TEST_CASE("the writer stores every domain pushed, batched, endpoints once per run", "[unit]") {
  const auto path = fresh_path();
  std::int64_t run = 0;
  {
    auto db = mx::store::open_for_writing(path);
    run = mx::store::create_run(db, scan_info(), "2026-11-28T00:00:00Z", {"d0.test"});
  }
  {
    // A queue of 4 with producers on two threads: push() must block, never drop.
    mx::store::Writer writer(path, run, {.queue_capacity = 4, .batch_size = 16});
    std::thread other([&] {
      for (int i = 0; i < 500; ++i) {
        writer.push(row(i, "192.0.2.1"));
      }
    });
    for (int i = 500; i < 1000; ++i) {
      writer.push(row(i, "192.0.2.2"));
    }
    other.join();
    writer.close();
    CHECK(writer.domains_written() == 1000);
  }
  auto db = mx::store::open_for_reading(path);
  CHECK(count(db, "SELECT count(*) FROM domains") == 1000);
  CHECK(count(db, "SELECT count(*) FROM checks") == 2000);
  CHECK(count(db, "SELECT count(*) FROM endpoints") == 2);
  CHECK(count(db, "SELECT count(*) FROM certificates") == 1);
  CHECK(count(db, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
  CHECK(count(db, "SELECT domains FROM mx_providers WHERE host = 'mx.provider.test'") == 1000);
  CHECK(mx::store::stored_of(db, run, {"d0.test", "d999.test", "d1000.test"}) ==
        std::vector<bool>{true, true, false});
  std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("a domain written twice in one run is an error, not a row replaced under its children",
          "[unit]") {
  const auto path = fresh_path();
  std::int64_t run = 0;
  {
    auto db = mx::store::open_for_writing(path);
    run = mx::store::create_run(db, scan_info(), "2026-11-28T00:00:00Z", {"d0.test"});
  }
  {
    mx::store::Writer writer(path, run);
    writer.push(row(0, "192.0.2.1"));
    writer.close();
  }
  {
    mx::store::Writer writer(path, run);
    auto again = row(0, "192.0.2.1");
    again.checks.clear();
    again.checks.push_back({"domain", "", "", "mx", "fail", "no-mx", "no MX"});
    writer.push(std::move(again));
    CHECK_THROWS_AS(writer.close(), mx::store::StoreError);
  }
  auto db = mx::store::open_for_reading(path);
  CHECK(count(db, "SELECT count(*) FROM checks") == 2);
  CHECK(count(db, "SELECT count(*) FROM checks WHERE code = 'no-mx'") == 0);
  CHECK(count(db, "SELECT count(*) FROM pragma_foreign_key_check") == 0);
  std::filesystem::remove_all(path.parent_path());
}

TEST_CASE("an unfinished run is found for resuming, a complete one is not", "[unit]") {
  const auto path = fresh_path();
  auto db = mx::store::open_for_writing(path);
  const auto info = scan_info();
  CHECK_FALSE(mx::store::find_resumable_run(db, info).has_value());
  const auto run = mx::store::create_run(db, info, "2026-11-28T00:00:00Z", {"a.test", "b.test"});
  CHECK(mx::store::find_resumable_run(db, info) == run);
  auto other = info;
  other.input_digest = "another";
  CHECK_FALSE(mx::store::find_resumable_run(db, other).has_value());
  mx::store::finish_run(db, run, "complete", "2026-11-28T01:00:00Z");
  CHECK_FALSE(mx::store::find_resumable_run(db, info).has_value());
  std::filesystem::remove_all(path.parent_path());
}
