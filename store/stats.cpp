#include "store/stats.hpp"

#include <algorithm>
#include <array>
#include <exception>
#include <map>

#include <fmt/format.h>

namespace mx::store {
namespace {

// A check's severity as one character that sorts worst first, prefixed to its code: min() of it
// over a group is the group's worst check (fail > error > warn > pass > skipped, then the
// smallest code), and its first character gives the status back.
constexpr std::string_view kWorstKey =
    "(CASE status WHEN 'fail' THEN '0' WHEN 'error' THEN '1' WHEN 'warn' THEN '2' "
    "WHEN 'pass' THEN '3' ELSE '4' END || code)";
constexpr std::array<std::string_view, 5> kRankStatus{"fail", "error", "warn", "pass", "skipped"};
// Display order of check tallies: by status as a reader scans them, then largest first.
constexpr std::array<std::string_view, 5> kDisplayStatus{"pass", "warn", "fail", "error",
                                                         "skipped"};

std::size_t display_rank(const TallyRow& row) {
  const auto* found = std::find(kDisplayStatus.begin(), kDisplayStatus.end(), row.status);
  return static_cast<std::size_t>(found - kDisplayStatus.begin());
}

void sort_by_count(std::vector<TallyRow>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const TallyRow& a, const TallyRow& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  });
}

void sort_check_rows(std::vector<TallyRow>& rows) {
  sort_by_count(rows);
  std::stable_sort(rows.begin(), rows.end(), [](const TallyRow& a, const TallyRow& b) {
    return display_rank(a) < display_rank(b);
  });
}

std::int64_t sum(const std::vector<TallyRow>& rows) {
  std::int64_t total = 0;
  for (const auto& row : rows) {
    total += row.count;
  }
  return total;
}

// Rows of a statement yielding (worst key or NULL, count).
Tally worst_tally(Statement query, std::string unit) {
  Tally tally;
  tally.unit = std::move(unit);
  while (query.step()) {
    TallyRow row;
    if (query.column_is_null(0)) {
      row.key = kNotChecked;
    } else {
      const auto worst = query.column_text(0);
      const auto rank = static_cast<std::size_t>(worst.front() - '0');
      row.status = rank < kRankStatus.size() ? kRankStatus.at(rank) : "";
      row.key = worst.substr(1);
    }
    row.count = query.column_int(1);
    tally.rows.push_back(std::move(row));
  }
  sort_check_rows(tally.rows);
  tally.total = sum(tally.rows);
  tally.distinct = static_cast<std::int64_t>(tally.rows.size());
  return tally;
}

Tally domain_check_tally(const Database& db, std::int64_t run, std::string_view subject,
                         std::string_view name) {
  auto query =
      db.prepare(fmt::format("SELECT w, count(*) FROM (SELECT (SELECT min({}) FROM checks c "
                             "WHERE c.run_id = d.run_id AND c.domain = d.domain AND c.subject = ?2 "
                             "AND c.name = ?3) AS w FROM domains d WHERE d.run_id = ?1) GROUP BY w",
                             kWorstKey));
  query.bind(1, run).bind(2, subject).bind(3, name);
  return worst_tally(std::move(query), "domains");
}

CheckTallies check_tallies(const Database& db, std::int64_t run, std::string_view name) {
  CheckTallies tallies;
  tallies.domains = domain_check_tally(db, run, "host", name);
  auto hosts = db.prepare(
      fmt::format("SELECT {0} AS w, count(*) FROM checks WHERE run_id = ?1 AND subject = 'host' "
                  "AND name = ?2 GROUP BY w",
                  kWorstKey));
  hosts.bind(1, run).bind(2, name);
  tallies.hosts = worst_tally(std::move(hosts), "hosts");
  auto endpoints = db.prepare(
      fmt::format("SELECT w, count(*) FROM (SELECT min({}) AS w FROM checks WHERE run_id = ?1 "
                  "AND subject = 'address' AND name = ?2 GROUP BY host, ip) GROUP BY w",
                  kWorstKey));
  endpoints.bind(1, run).bind(2, name);
  tallies.endpoints = worst_tally(std::move(endpoints), "endpoints");
  return tallies;
}

// A tally over a fixed set of classes, each shown (zeros included) in this order; classes the
// query yields beyond them follow, largest first.
Tally fixed_tally(Statement query, std::string unit, std::initializer_list<std::string_view> keys) {
  std::map<std::string, std::int64_t, std::less<>> counts;
  while (query.step()) {
    counts[query.column_text(0)] += query.column_int(1);
  }
  Tally tally;
  tally.unit = std::move(unit);
  for (const auto key : keys) {
    const auto found = counts.find(key);
    tally.rows.push_back({std::string(key), "", found == counts.end() ? 0 : found->second, {}});
    if (found != counts.end()) {
      counts.erase(found);
    }
  }
  std::vector<TallyRow> others;
  for (auto& [key, count] : counts) {
    others.push_back({key, "", count, {}});
  }
  sort_by_count(others);
  tally.rows.insert(tally.rows.end(), others.begin(), others.end());
  tally.total = sum(tally.rows);
  tally.distinct = static_cast<std::int64_t>(tally.rows.size());
  return tally;
}

Tally counted_tally(Statement query, std::string unit) {
  Tally tally;
  tally.unit = std::move(unit);
  while (query.step()) {
    tally.rows.push_back({query.column_text(0), "", query.column_int(1), {}});
  }
  sort_by_count(tally.rows);
  tally.total = sum(tally.rows);
  tally.distinct = static_cast<std::int64_t>(tally.rows.size());
  return tally;
}

// Rows (key, count, secondary) ordered largest first: the first `top` kept, and any in `keep`.
Tally ranked_tally(Statement query, std::string unit, std::string secondary_unit,
                   std::int64_t total, const StatsOptions& options) {
  Tally tally;
  tally.unit = std::move(unit);
  tally.secondary_unit = std::move(secondary_unit);
  tally.total = total;
  while (query.step()) {
    auto key = query.column_text(0);
    if (tally.rows.size() < options.top || options.keep.contains(key)) {
      tally.rows.push_back({std::move(key), "", query.column_int(1), query.column_int(2)});
    }
    ++tally.distinct;
  }
  return tally;
}

std::int64_t single_int(Statement query) {
  query.step();
  return query.column_int(0);
}

constexpr const char* kProviderFunction = "mx_provider";

void call_provider(sqlite3_context* context, int /*argc*/, sqlite3_value** argv) {
  const auto& provider_of = *static_cast<const ProviderOf*>(sqlite3_user_data(context));
  const auto* text = sqlite3_value_text(argv[0]);
  const std::string_view host(text == nullptr ? "" : reinterpret_cast<const char*>(text),
                              static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
  try {
    if (const auto provider = provider_of(host)) {
      sqlite3_result_text(context, provider->data(), static_cast<int>(provider->size()),
                          SQLITE_TRANSIENT);
    } else {
      sqlite3_result_value(context, argv[0]);
    }
  } catch (const std::exception& e) {
    // An exception must not unwind through SQLite's C frames; the query fails with its message.
    sqlite3_result_error(context, e.what(), -1);
  }
}

// The caller's ProviderOf as the SQL function mx_provider(host) while the object lives.
class ProviderFunction {
 public:
  ProviderFunction(const Database& db, ProviderOf provider_of)
      : db_(db.handle()), provider_of_(std::move(provider_of)) {
    check(db_,
          sqlite3_create_function_v2(db_, kProviderFunction, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                     &provider_of_, call_provider, nullptr, nullptr, nullptr),
          "create function");
  }
  ~ProviderFunction() {
    sqlite3_create_function_v2(db_, kProviderFunction, 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                               nullptr, nullptr, nullptr, nullptr, nullptr);
  }
  ProviderFunction(const ProviderFunction&) = delete;
  ProviderFunction& operator=(const ProviderFunction&) = delete;

 private:
  sqlite3* db_;
  ProviderOf provider_of_;  // SQLite holds its address until the destructor
};

// MX addresses to the certificate their endpoint served.
constexpr std::string_view kCertificateJoin =
    "FROM mx_addresses a CROSS JOIN endpoints e ON e.run_id = a.run_id AND e.ip = a.ip "
    "AND e.host = a.host JOIN certificates c ON c.sha256 = e.cert_sha256 WHERE a.run_id = ?1";

}  // namespace

Tally collect_providers(const Database& db, std::int64_t run, const ProviderOf& provider_of,
                        const StatsOptions& options) {
  const ProviderFunction function(db, provider_of);
  auto total = db.prepare("SELECT count(DISTINCT domain) FROM mx_hosts WHERE run_id = ?1");
  total.bind(1, run);
  auto query = db.prepare(
      "SELECT p, count(DISTINCT domain) AS n, count(DISTINCT host) AS h FROM "
      "(SELECT mx_provider(host) AS p, domain, host FROM mx_hosts WHERE run_id = ?1) "
      "GROUP BY p ORDER BY n DESC, h DESC, p");
  query.bind(1, run);
  return ranked_tally(std::move(query), "domains", "hosts", single_int(std::move(total)), options);
}

Tally collect_issuers(const Database& db, std::int64_t run, const StatsOptions& options) {
  auto total = db.prepare(fmt::format("SELECT count(DISTINCT a.domain) {}", kCertificateJoin));
  total.bind(1, run);
  auto query = db.prepare(
      fmt::format("SELECT c.issuer, count(DISTINCT a.domain) AS n, count(DISTINCT c.sha256) AS k "
                  "{} GROUP BY c.issuer ORDER BY n DESC, k DESC, c.issuer",
                  kCertificateJoin));
  query.bind(1, run);
  return ranked_tally(std::move(query), "domains", "certificates", single_int(std::move(total)),
                      options);
}

double percent(std::int64_t count, std::int64_t total) {
  return total == 0 ? 0.0 : 100.0 * static_cast<double>(count) / static_cast<double>(total);
}

std::optional<RunOverview> find_run(const Database& db, std::int64_t run) {
  auto query = db.prepare(
      "SELECT id, kind, state, started_at, finished_at, "
      "(SELECT count(*) FROM domains WHERE run_id = r.id) FROM runs r WHERE id = ?1");
  query.bind(1, run);
  if (!query.step()) {
    return std::nullopt;
  }
  RunOverview overview;
  overview.id = query.column_int(0);
  overview.kind = query.column_text(1);
  overview.state = query.column_text(2);
  overview.started_at = query.column_text(3);
  if (!query.column_is_null(4)) {
    overview.finished_at = query.column_text(4);
  }
  overview.domains = query.column_int(5);
  return overview;
}

std::optional<std::int64_t> newest_complete_run(const Database& db) {
  auto query = db.prepare("SELECT id FROM latest_run");
  if (!query.step()) {
    return std::nullopt;
  }
  return query.column_int(0);
}

std::optional<std::int64_t> newest_run(const Database& db) {
  auto query = db.prepare("SELECT max(id) FROM runs");
  if (!query.step() || query.column_is_null(0)) {
    return std::nullopt;
  }
  return query.column_int(0);
}

RunStats collect_stats(const Database& db, std::int64_t run, const ProviderOf& provider_of,
                       const StatsOptions& options) {
  auto overview = find_run(db, run);
  if (!overview) {
    throw StoreError(fmt::format("{}: no run {}", db.path().string(), run), SQLITE_NOTFOUND);
  }
  RunStats stats;
  stats.run = std::move(*overview);

  auto status = db.prepare("SELECT status, count(*) FROM domains WHERE run_id = ?1 GROUP BY 1");
  status.bind(1, run);
  stats.status = fixed_tally(std::move(status), "domains", {"pass", "warn", "fail", "error"});

  stats.starttls = check_tallies(db, run, "starttls");
  stats.certificate = check_tallies(db, run, "certificate");
  stats.dane = check_tallies(db, run, "dane");

  auto versions = db.prepare(
      "SELECT coalesce(tls_version, 'none'), count(*) FROM endpoints WHERE run_id = ?1 "
      "GROUP BY 1");
  versions.bind(1, run);
  stats.tls_versions = counted_tally(std::move(versions), "endpoints");
  auto ciphers = db.prepare(
      "SELECT coalesce(tls_cipher, 'none'), count(*) FROM endpoints WHERE run_id = ?1 "
      "GROUP BY 1");
  ciphers.bind(1, run);
  stats.tls_ciphers = counted_tally(std::move(ciphers), "endpoints");

  auto modes = db.prepare(
      "SELECT CASE WHEN p.domain IS NULL THEN 'no-record' WHEN p.mode IS NULL THEN 'no-policy' "
      "ELSE p.mode END, count(*) FROM domains d LEFT JOIN mta_sts_policies p "
      "ON p.run_id = d.run_id AND p.domain = d.domain WHERE d.run_id = ?1 GROUP BY 1");
  modes.bind(1, run);
  stats.mta_sts = fixed_tally(std::move(modes), "domains",
                              {"enforce", "testing", "none", "no-policy", "no-record"});

  auto tlsrpt = db.prepare(fmt::format(
      "SELECT CASE WHEN c.status IS NULL THEN '{}' WHEN c.status = 'pass' THEN 'present' "
      "WHEN c.code = 'absent' THEN 'absent' WHEN c.status = 'fail' THEN 'invalid' "
      "WHEN c.status = 'error' THEN 'undetermined' ELSE c.status || ' ' || c.code END, count(*) "
      "FROM domains d LEFT JOIN checks c ON c.run_id = d.run_id AND c.domain = d.domain "
      "AND c.subject = 'domain' AND c.host = '' AND c.ip = '' AND c.name = 'tlsrpt.record' "
      "WHERE d.run_id = ?1 GROUP BY 1",
      kNotChecked));
  tlsrpt.bind(1, run);
  stats.tlsrpt =
      fixed_tally(std::move(tlsrpt), "domains", {"present", "absent", "invalid", "undetermined"});
  // kNotChecked is listed only when some domain has no tlsrpt.record check.
  std::erase_if(stats.tlsrpt.rows,
                [](const TallyRow& row) { return row.key == kNotChecked && row.count == 0; });

  stats.providers = collect_providers(db, run, provider_of, options);
  stats.issuers = collect_issuers(db, run, options);
  return stats;
}

std::vector<NamedTally> named_tallies(const RunStats& stats) {
  return {
      {"status", "Domains by status", &stats.status},
      {"starttls.domains", "STARTTLS per domain, worst MX host", &stats.starttls.domains},
      {"starttls.hosts", "STARTTLS per MX host", &stats.starttls.hosts},
      {"starttls.endpoints", "STARTTLS per endpoint", &stats.starttls.endpoints},
      {"certificate.domains", "Certificate per domain, worst MX host", &stats.certificate.domains},
      {"certificate.hosts", "Certificate per MX host", &stats.certificate.hosts},
      {"certificate.endpoints", "Certificate per endpoint", &stats.certificate.endpoints},
      {"tls.versions", "TLS versions", &stats.tls_versions},
      {"tls.ciphers", "TLS cipher suites", &stats.tls_ciphers},
      {"mta-sts", "MTA-STS mode", &stats.mta_sts},
      {"tlsrpt", "TLSRPT record", &stats.tlsrpt},
      {"dane.domains", "DANE per domain, worst MX host", &stats.dane.domains},
      {"dane.hosts", "DANE per MX host", &stats.dane.hosts},
      {"dane.endpoints", "DANE per endpoint", &stats.dane.endpoints},
      {"providers", "Largest MX providers", &stats.providers},
      {"issuers", "Certificate issuers", &stats.issuers},
  };
}

}  // namespace mx::store
