// store/stats.hpp against the same database counted independently: raw rows read with plain
// SELECTs and aggregated here in C++, so that a mistake in the aggregating SQL cannot hide in
// the expectation.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "store/stats.hpp"
#include "store/stats_compare.hpp"
#include "tests/support/sample_runs.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using mx::store::Database;
using mx::store::Tally;
using Key = std::pair<std::string, std::string>;  // (status, key)
using Counts = std::map<Key, std::int64_t>;

// The test's own provider rule: the last two labels, three under co.uk.
std::optional<std::string> provider_of(std::string_view host) {
  const auto labels = std::count(host.begin(), host.end(), '.');
  const int keep = host.ends_with(".co.uk") ? 3 : 2;
  if (labels < keep) {
    return std::nullopt;
  }
  auto at = host.size();
  for (int i = 0; i < keep; ++i) {
    at = host.rfind('.', at - 1);
  }
  return std::string(host.substr(at + 1));
}

std::vector<std::vector<std::string>> rows(const Database& db, const std::string& sql,
                                           std::int64_t run, int columns) {
  auto query = db.prepare(sql);
  query.bind(1, run);
  std::vector<std::vector<std::string>> out;
  while (query.step()) {
    std::vector<std::string> row;
    for (int i = 0; i < columns; ++i) {
      row.push_back(query.column_is_null(i) ? "<null>" : query.column_text(i));
    }
    out.push_back(std::move(row));
  }
  return out;
}

Counts counts_of(const Tally& tally) {
  Counts counts;
  for (const auto& row : tally.rows) {
    counts[{row.status, row.key}] += row.count;
  }
  return counts;
}

std::int64_t sum(const Counts& counts) {
  std::int64_t total = 0;
  for (const auto& [key, n] : counts) {
    total += n;
  }
  return total;
}

int severity(const std::string& status) {
  static const std::map<std::string, int> order{
      {"fail", 0}, {"error", 1}, {"warn", 2}, {"pass", 3}, {"skipped", 4}};
  return order.at(status);
}

// The worst of (status, code) pairs: most severe, then the smallest code.
Key worst(const std::vector<Key>& checks) {
  return *std::min_element(checks.begin(), checks.end(), [](const Key& a, const Key& b) {
    return std::tuple(severity(a.first), a.second) < std::tuple(severity(b.first), b.second);
  });
}

struct Expected {
  Counts domains;
  Counts hosts;
  Counts endpoints;
};

Expected expected_check(const Database& db, std::int64_t run, const std::string& name) {
  std::map<std::string, std::vector<Key>> by_domain;
  for (const auto& d : rows(db, "SELECT domain FROM domains WHERE run_id = ?1", run, 1)) {
    by_domain[d[0]];
  }
  std::map<std::pair<std::string, std::string>, std::vector<Key>> by_endpoint;
  Expected expected;
  for (const auto& c : rows(db,
                            "SELECT domain, subject, host, ip, status, code FROM checks "
                            "WHERE run_id = ?1 AND name = '" +
                                name + "'",
                            run, 6)) {
    const Key check{c[4], c[5]};
    if (c[1] == "host") {
      by_domain[c[0]].push_back(check);
      ++expected.hosts[check];
    } else if (c[1] == "address") {
      by_endpoint[{c[2], c[3]}].push_back(check);
    }
  }
  for (const auto& [domain, checks] : by_domain) {
    ++expected
          .domains[checks.empty() ? Key{"", std::string(mx::store::kNotChecked)} : worst(checks)];
  }
  for (const auto& [endpoint, checks] : by_endpoint) {
    ++expected.endpoints[worst(checks)];
  }
  return expected;
}

void check_tallies_match(const mx::store::CheckTallies& tallies, const Expected& expected) {
  CHECK(counts_of(tallies.domains) == expected.domains);
  CHECK(tallies.domains.total == sum(expected.domains));
  CHECK(counts_of(tallies.hosts) == expected.hosts);
  CHECK(tallies.hosts.total == sum(expected.hosts));
  CHECK(counts_of(tallies.endpoints) == expected.endpoints);
  CHECK(tallies.endpoints.total == sum(expected.endpoints));
}

struct Ranked {
  std::string key;
  std::int64_t count;
  std::int64_t secondary;
};

// Largest first, then the larger secondary count, then by name: the order stats promise.
std::vector<Ranked> ranked(
    const std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>>& groups) {
  std::vector<Ranked> out;
  for (const auto& [key, sets] : groups) {
    out.push_back({key, static_cast<std::int64_t>(sets.first.size()),
                   static_cast<std::int64_t>(sets.second.size())});
  }
  std::sort(out.begin(), out.end(), [](const Ranked& a, const Ranked& b) {
    return std::tuple(-a.count, -a.secondary, a.key) < std::tuple(-b.count, -b.secondary, b.key);
  });
  return out;
}

using Groups = std::map<std::string, std::pair<std::set<std::string>, std::set<std::string>>>;

Groups expected_providers(const Database& db, std::int64_t run) {
  Groups groups;
  for (const auto& h : rows(db, "SELECT domain, host FROM mx_hosts WHERE run_id = ?1", run, 2)) {
    auto& group = groups[provider_of(h[1]).value_or(h[1])];
    group.first.insert(h[0]);
    group.second.insert(h[1]);
  }
  return groups;
}

Groups expected_issuers(const Database& db, std::int64_t run) {
  std::map<std::pair<std::string, std::string>, std::string> cert_of;  // (ip, host) -> sha256
  for (const auto& e : rows(db,
                            "SELECT ip, host, cert_sha256 FROM endpoints WHERE run_id = ?1 "
                            "AND cert_sha256 IS NOT NULL",
                            run, 3)) {
    cert_of[{e[0], e[1]}] = e[2];
  }
  std::map<std::string, std::string> issuer_of;
  for (const auto& c : rows(db, "SELECT sha256, issuer FROM certificates WHERE ?1 > 0", run, 2)) {
    issuer_of[c[0]] = c[1];
  }
  Groups groups;
  for (const auto& a :
       rows(db, "SELECT domain, host, ip FROM mx_addresses WHERE run_id = ?1", run, 3)) {
    const auto cert = cert_of.find({a[2], a[1]});
    if (cert != cert_of.end()) {
      auto& group = groups[issuer_of.at(cert->second)];
      group.first.insert(a[0]);
      group.second.insert(cert->second);
    }
  }
  return groups;
}

void check_ranked(const Tally& tally, const std::vector<Ranked>& expected, std::size_t top) {
  CHECK(tally.distinct == static_cast<std::int64_t>(expected.size()));
  REQUIRE(tally.rows.size() == std::min(top, expected.size()));
  for (std::size_t i = 0; i < tally.rows.size(); ++i) {
    CAPTURE(i, tally.rows[i].key);
    CHECK(tally.rows[i].key == expected[i].key);
    CHECK(tally.rows[i].count == expected[i].count);
    CHECK(tally.rows[i].secondary == expected[i].secondary);
  }
}

std::set<std::string> domains_in(const Groups& groups) {
  std::set<std::string> all;
  for (const auto& [key, sets] : groups) {
    all.insert(sets.first.begin(), sets.first.end());
  }
  return all;
}

}  // namespace

TEST_CASE("stats of a run equal the rows counted independently", "[unit]") {
  const mx::test::TempDir dir;
  const auto path = dir.path() / "scan.db";
  mx::test::store_sample_run(path, 30, 0);
  const auto run = mx::test::store_sample_run(path, 61, 3);
  const auto db = mx::store::open_for_reading(path);
  const auto stats = mx::store::collect_stats(db, run, provider_of, {.top = 100, .keep = {}});

  CHECK(stats.run.id == run);
  CHECK(stats.run.kind == "scan");
  CHECK(stats.run.state == "complete");
  CHECK(stats.run.domains == 61);
  CHECK(stats.run.finished_at.has_value());

  SECTION("domains by status: each status, zeros included, in a fixed order") {
    std::map<std::string, std::int64_t> expected{
        {"pass", 0}, {"warn", 0}, {"fail", 0}, {"error", 0}};
    for (const auto& d : rows(db, "SELECT status FROM domains WHERE run_id = ?1", run, 1)) {
      ++expected[d[0]];
    }
    REQUIRE(stats.status.rows.size() == 4);
    CHECK(stats.status.rows[0].key == "pass");
    CHECK(stats.status.rows[3].key == "error");
    for (const auto& row : stats.status.rows) {
      CHECK(row.count == expected.at(row.key));
    }
    CHECK(stats.status.total == 61);
  }

  SECTION("starttls, certificate and dane per domain (worst host), per host, per endpoint") {
    check_tallies_match(stats.starttls, expected_check(db, run, "starttls"));
    check_tallies_match(stats.certificate, expected_check(db, run, "certificate"));
    check_tallies_match(stats.dane, expected_check(db, run, "dane"));
    // Null MX domains have no host-level check at all.
    CHECK(counts_of(stats.starttls.domains).at({"", std::string(mx::store::kNotChecked)}) == 12);
  }

  SECTION("TLS versions and ciphers of the run's endpoints, none without TLS") {
    Counts versions;
    Counts ciphers;
    for (const auto& e :
         rows(db, "SELECT tls_version, tls_cipher FROM endpoints WHERE run_id = ?1", run, 2)) {
      ++versions[{"", e[0] == "<null>" ? "none" : e[0]}];
      ++ciphers[{"", e[1] == "<null>" ? "none" : e[1]}];
    }
    CHECK(counts_of(stats.tls_versions) == versions);
    CHECK(counts_of(stats.tls_ciphers) == ciphers);
    CHECK(stats.tls_versions.total == sum(versions));
    CHECK(versions.contains({"", "none"}));
  }

  SECTION("MTA-STS modes and TLSRPT records per domain") {
    Counts modes{{{"", "enforce"}, 0},
                 {{"", "testing"}, 0},
                 {{"", "none"}, 0},
                 {{"", "no-policy"}, 0},
                 {{"", "no-record"}, 0}};
    std::map<std::string, std::string> policy;
    for (const auto& p :
         rows(db, "SELECT domain, mode FROM mta_sts_policies WHERE run_id = ?1", run, 2)) {
      policy[p[0]] = p[1] == "<null>" ? "no-policy" : p[1];
    }
    std::map<std::string, std::string> rpt;
    for (const auto& c : rows(db,
                              "SELECT domain, status, code FROM checks WHERE run_id = ?1 "
                              "AND name = 'tlsrpt.record'",
                              run, 3)) {
      rpt[c[0]] = c[1] == "pass"     ? "present"
                  : c[2] == "absent" ? "absent"
                  : c[1] == "fail"   ? "invalid"
                                     : "undetermined";
    }
    Counts tlsrpt{
        {{"", "present"}, 0}, {{"", "absent"}, 0}, {{"", "invalid"}, 0}, {{"", "undetermined"}, 0}};
    for (const auto& d : rows(db, "SELECT domain FROM domains WHERE run_id = ?1", run, 1)) {
      ++modes[{"", policy.contains(d[0]) ? policy[d[0]] : "no-record"}];
      ++tlsrpt[{"", rpt.contains(d[0]) ? rpt[d[0]] : std::string(mx::store::kNotChecked)}];
    }
    CHECK(counts_of(stats.mta_sts) == modes);
    CHECK(stats.mta_sts.rows.front().key == "enforce");
    CHECK(counts_of(stats.tlsrpt) == tlsrpt);
    CHECK(stats.mta_sts.total == 61);
    CHECK(stats.tlsrpt.total == 61);
  }

  SECTION("providers group hosts by the provider function, a domain once per provider") {
    const auto groups = expected_providers(db, run);
    check_ranked(stats.providers, ranked(groups), 100);
    CHECK(stats.providers.total == static_cast<std::int64_t>(domains_in(groups).size()));
    CHECK(stats.providers.rows.front().key == "google.com");
    CHECK(stats.providers.secondary_unit == "hosts");
  }

  SECTION("issuers count domains and distinct certificates") {
    const auto groups = expected_issuers(db, run);
    check_ranked(stats.issuers, ranked(groups), 100);
    CHECK(stats.issuers.total == static_cast<std::int64_t>(domains_in(groups).size()));
    CHECK(stats.issuers.rows.size() >= 2);
  }

  SECTION("only the largest providers are kept, and any asked for") {
    const auto top = mx::store::collect_providers(db, run, provider_of, {.top = 2, .keep = {}});
    const auto all = ranked(expected_providers(db, run));
    check_ranked(top, all, 2);
    const auto last = all.back().key;
    const auto kept =
        mx::store::collect_providers(db, run, provider_of, {.top = 2, .keep = {last}});
    REQUIRE(kept.rows.size() == 3);
    CHECK(kept.rows.back().key == last);
    CHECK(kept.rows.back().count == all.back().count);
  }
}

TEST_CASE("stats of an empty run and of a missing one", "[unit]") {
  const mx::test::TempDir dir;
  const auto path = dir.path() / "scan.db";
  const auto run = mx::test::store_sample_run(path, 0, 0, "running");
  const auto db = mx::store::open_for_reading(path);
  const auto stats = mx::store::collect_stats(db, run, provider_of);
  CHECK(stats.run.state == "running");
  CHECK(stats.status.total == 0);
  CHECK(stats.status.rows.size() == 4);
  CHECK(stats.providers.rows.empty());
  CHECK(mx::store::percent(0, 0) == 0.0);
  CHECK_THROWS_AS(mx::store::collect_stats(db, run + 1, provider_of), mx::store::StoreError);
  CHECK_FALSE(mx::store::newest_complete_run(db).has_value());
  CHECK(mx::store::newest_run(db) == run);
}

TEST_CASE("the newest complete run is the default, not a newer unfinished one", "[unit]") {
  const mx::test::TempDir dir;
  const auto path = dir.path() / "scan.db";
  mx::test::store_sample_run(path, 3, 0);
  const auto complete = mx::test::store_sample_run(path, 3, 1);
  const auto interrupted = mx::test::store_sample_run(path, 3, 2, "interrupted");
  const auto running = mx::test::store_sample_run(path, 3, 3, "running");
  const auto db = mx::store::open_for_reading(path);
  CHECK(mx::store::newest_complete_run(db) == complete);
  CHECK(mx::store::newest_run(db) == running);
  CHECK(mx::store::find_run(db, interrupted)->state == "interrupted");
  CHECK_FALSE(mx::store::find_run(db, running + 1).has_value());
}

TEST_CASE("comparing two runs: counts, percentage points, and providers of either's top",
          "[unit]") {
  const mx::test::TempDir dir;
  const auto path = dir.path() / "scan.db";
  const auto from = mx::test::store_sample_run(path, 40, 0);
  const auto to = mx::test::store_sample_run(path, 50, 2);
  const auto db = mx::store::open_for_reading(path);
  const auto comparison = mx::store::compare_runs(db, from, to, provider_of, 1);
  CHECK(comparison.from.id == from);
  CHECK(comparison.to.id == to);

  const auto full_from = mx::store::collect_stats(db, from, provider_of, {.top = 100, .keep = {}});
  const auto full_to = mx::store::collect_stats(db, to, provider_of, {.top = 100, .keep = {}});
  const auto from_tallies = mx::store::named_tallies(full_from);
  const auto to_tallies = mx::store::named_tallies(full_to);
  REQUIRE(comparison.tallies.size() == to_tallies.size());
  for (std::size_t t = 0; t < comparison.tallies.size(); ++t) {
    const auto& compared = comparison.tallies[t];
    CAPTURE(compared.id);
    CHECK(compared.id == to_tallies[t].id);
    CHECK(compared.from_total == from_tallies[t].tally->total);
    CHECK(compared.to_total == to_tallies[t].tally->total);
    const auto from_counts = counts_of(*from_tallies[t].tally);
    const auto to_counts = counts_of(*to_tallies[t].tally);
    for (const auto& row : compared.rows) {
      CAPTURE(row.key, row.status);
      const Key key{row.status, row.key};
      const auto before = from_counts.contains(key) ? from_counts.at(key) : 0;
      const auto after = to_counts.contains(key) ? to_counts.at(key) : 0;
      CHECK(row.from == before);
      CHECK(row.to == after);
      CHECK(row.delta() == after - before);
      CHECK(row.delta_points() == Approx(mx::store::percent(after, compared.to_total) -
                                         mx::store::percent(before, compared.from_total)));
    }
    // Every class of either run is there, except beyond the top of providers and issuers.
    if (compared.id != "providers" && compared.id != "issuers") {
      std::set<Key> shown;
      for (const auto& row : compared.rows) {
        shown.insert({row.status, row.key});
      }
      for (const auto* counts : {&from_counts, &to_counts}) {
        for (const auto& [key, n] : *counts) {
          CHECK(shown.contains(key));
        }
      }
    }
  }
  const auto& status = comparison.tallies.front();
  CHECK(status.id == "status");
  CHECK(status.rows.size() == 4);
  CHECK(status.from_total == 40);
  CHECK(status.to_total == 50);
}

TEST_CASE("comparing: a class of one run only counts 0 in the other", "[unit]") {
  mx::store::RunStats from;
  mx::store::RunStats to;
  from.run.id = 1;
  to.run.id = 2;
  from.tls_versions = {"endpoints", 4, {{"TLSv1", "", 1, {}}, {"TLSv1.2", "", 3, {}}}, "", 2};
  to.tls_versions = {"endpoints", 5, {{"TLSv1.3", "", 2, {}}, {"TLSv1.2", "", 3, {}}}, "", 2};
  const auto comparison = mx::store::compare_stats(from, to);
  const auto& versions = *std::find_if(comparison.tallies.begin(), comparison.tallies.end(),
                                       [](const auto& t) { return t.id == "tls.versions"; });
  REQUIRE(versions.rows.size() == 3);
  CHECK(versions.rows[0].key == "TLSv1.3");
  CHECK(versions.rows[0].from == 0);
  CHECK(versions.rows[0].delta_points() == Approx(40.0));
  CHECK(versions.rows[1].key == "TLSv1.2");
  CHECK(versions.rows[1].delta() == 0);
  CHECK(versions.rows[1].delta_points() == Approx(60.0 - 75.0));
  CHECK(versions.rows[2].key == "TLSv1");
  CHECK(versions.rows[2].to == 0);
  CHECK(versions.rows[2].delta() == -1);
}
