#pragma once
// Aggregates of a stored run for `mxscan stats` and `mxscan report`: how many domains, MX hosts,
// endpoints or certificates fall in each class (status, check code, TLS version, MTA-STS mode,
// provider, issuer). Plain structs computed by SQL over the schema's tables; rendering lives in
// reports/. Every definition here is documented in docs/schema.md ("Statistics").
//
// Three units count a host-level check (`starttls`, `tls`, `certificate`, `dane`):
//  - domains: each domain once, with the worst of its MX hosts' checks of that name
//    (fail > error > warn > pass > skipped, then the smallest code), or kNotChecked when the
//    domain has no such check (no MX host: the MX lookup failed, or a null MX);
//  - hosts: each (domain, MX host) pair's host-level check, so a provider's host counts once for
//    each domain it serves;
//  - endpoints: each distinct (MX host, IP address) pair of the run's address-level checks once,
//    with the worst code any domain saw there (they agree unless a retry saw otherwise).
//
// @par Thread Safety
// Functions of one Database; a Database is used by one thread at a time.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/db.hpp"

namespace mx::store {

// The key of a domain that has no check of the counted name.
inline constexpr std::string_view kNotChecked = "(not checked)";

struct RunOverview {
  std::int64_t id = 0;
  std::string kind;   // scan, validate, triage, check
  std::string state;  // running, interrupted, complete
  std::string started_at;
  std::optional<std::string> finished_at;
  std::int64_t domains = 0;  // judged domains stored
};

struct TallyRow {
  std::string key;     // the class: a status, a check code, a TLS version, a provider, an issuer
  std::string status;  // check tallies: the status that came with `key` (its code); else ""
  std::int64_t count = 0;
  std::optional<std::int64_t> secondary;  // in Tally::secondary_unit, when the tally has one
};

struct Tally {
  std::string unit;        // what `count` counts: "domains", "hosts", "endpoints"
  std::int64_t total = 0;  // the denominator of percentages (see each member of RunStats)
  std::vector<TallyRow> rows;
  std::string secondary_unit;  // "hosts" (providers), "certificates" (issuers), or ""
  std::int64_t distinct = 0;   // classes in all, of which `rows` may hold only the largest
};

// count / total in percent; 0 when total is 0.
[[nodiscard]] double percent(std::int64_t count, std::int64_t total);

// A host-level check counted three ways (see the top of this file).
struct CheckTallies {
  Tally domains;
  Tally hosts;
  Tally endpoints;
};

struct RunStats {
  RunOverview run;
  Tally status;  // domains by status: pass, warn, fail, error (each, zeros included)
  CheckTallies starttls;
  CheckTallies certificate;  // validity by code: ok, untrusted, expired, name-mismatch, ...
  CheckTallies dane;
  Tally tls_versions;  // endpoints (rows of table endpoints) by negotiated version, "none"
  Tally tls_ciphers;   // endpoints by negotiated cipher suite, "none"
  // Domains by MTA-STS mode: enforce, testing, none (the policy's mode), "no-policy" (one valid
  // record, but no policy body parsed), "no-record" (no single valid record); total: domains.
  Tally mta_sts;
  // Domains by their tlsrpt.record check: "present" (pass), "absent", "invalid" (fail:
  // multiple records or syntax), "undetermined" (error), kNotChecked; total: domains.
  Tally tlsrpt;
  // Domains per provider: MX hosts grouped by provider (ProviderOf), a domain counted once per
  // provider it uses (so rows may sum past the total); secondary: distinct MX hosts. Total:
  // domains with at least one MX host. Largest first.
  Tally providers;
  // Domains per certificate issuer (the leaf's issuer DN) over the endpoints of their MX hosts;
  // secondary: distinct leaf certificates. Total: domains with a captured certificate.
  Tally issuers;
};

// The provider of an MX host name: pass mx::list::registrable_domain (libpsl), so that
// mx1.google.com and alt1.aspmx.l.google.com are one provider; nullopt counts the host as its own.
using ProviderOf = std::function<std::optional<std::string>(std::string_view host)>;

struct StatsOptions {
  std::size_t top = 20;  // rows kept of providers and issuers, largest first
  // Providers and issuers kept beyond `top` (compare_runs asks for the other run's largest).
  std::set<std::string> keep;
};

// Throws StoreError when `run` does not exist.
[[nodiscard]] RunStats collect_stats(const Database& db, std::int64_t run,
                                     const ProviderOf& provider_of,
                                     const StatsOptions& options = {});

// The providers and issuers tallies of collect_stats alone.
[[nodiscard]] Tally collect_providers(const Database& db, std::int64_t run,
                                      const ProviderOf& provider_of, const StatsOptions& options);
[[nodiscard]] Tally collect_issuers(const Database& db, std::int64_t run,
                                    const StatsOptions& options);

// The run's overview, or nullopt when there is no such run.
[[nodiscard]] std::optional<RunOverview> find_run(const Database& db, std::int64_t run);
// The newest run in state complete, and the newest in any state.
[[nodiscard]] std::optional<std::int64_t> newest_complete_run(const Database& db);
[[nodiscard]] std::optional<std::int64_t> newest_run(const Database& db);

// Each named tally of RunStats in display order, with a stable id (the JSON and CSV key) and a
// title: what renderers iterate over.
struct NamedTally {
  std::string_view id;  // "status", "starttls.domains", "tls.versions", "providers", ...
  std::string_view title;
  const Tally* tally;
};
[[nodiscard]] std::vector<NamedTally> named_tallies(const RunStats& stats);

}  // namespace mx::store
