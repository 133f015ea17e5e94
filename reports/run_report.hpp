#pragma once
// What `mxscan report` shows of a stored run, whatever the format: a summary, the charts' data
// (from store/stats.hpp's aggregates and, for a validation, the list author's history), and the
// tables of domains to act on with their reasons. HTML, Markdown and JSON render this one model,
// so they carry the same content. Every string in it that came from the database is
// attacker-controlled (domain and host names, check messages quoting banners or policy bodies,
// certificate issuers): renderers escape it for their context. Reads only.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reports/domain_reasons.hpp"
#include "reports/validation_report.hpp"
#include "store/db.hpp"
#include "store/stats.hpp"
#include "store/validations.hpp"

namespace mx::reports {

// One headline figure: `count` of `total` `unit` (e.g. 712 of 800 domains offer STARTTLS).
struct Figure {
  std::string id;
  std::string label;
  std::int64_t count = 0;
  std::int64_t total = 0;
};

struct Bar {
  std::string label;
  std::string status;  // pass, warn, fail, error, skipped: colours the bar; "" for neutral
  std::int64_t value = 0;
};

struct BarChart {
  std::string id;  // "status", "failures", "tls-versions", "mta-sts", "providers", "issuers"
  std::string title;
  std::string key;         // what a bar's label is: "status", "code", "version", "provider", ...
  std::string unit;        // what the values count
  std::int64_t total = 0;  // the denominator of percentages
  std::vector<Bar> bars;
  std::int64_t hidden = 0;  // classes beyond the bars shown
};

// One row of a domain table: a failing or undetermined domain, or a list entry.
struct DomainEntry {
  std::string domain;
  std::string status;
  // Validation runs only: the entry's mode, category (urgent or not), and since_text().
  std::string mode;
  std::string category;
  bool urgent = false;
  std::string since;
  std::vector<Reason> reasons;
};

struct DomainTable {
  std::string id;
  std::string title;
  std::string note;         // Markdown: `code` spans only
  bool validation = false;  // columns: domain, mode, category, since, reasons (else domain,
                            // status, reasons)
  std::vector<DomainEntry> rows;
  std::int64_t total = 0;  // rows.size() unless cut to ReportOptions::max_rows
};

struct RunReport {
  store::RunStats stats;
  std::vector<Figure> figures;
  std::vector<BarChart> charts;
  std::optional<ValidationReport> validation;   // a categorised validation run
  std::vector<store::ValidationNight> history;  // its author's validations up to it, oldest first
  std::vector<DomainTable> tables;
};

struct ReportOptions {
  int remove_after = 3;  // as `validate --remove-after`
  // Rows of a scan run's tables (failing, undetermined domains); 0: all. A validation's tables
  // are never cut: the maintainers act on every entry.
  std::size_t max_rows = 1000;
  std::size_t top = 10;    // bars of the providers, issuers and failure-code charts
  int history_limit = 30;  // validations drawn in the trend
};

// Throws store::StoreError when `run` does not exist.
[[nodiscard]] RunReport load_run_report(const store::Database& db, std::int64_t run,
                                        const ReportOptions& options);

}  // namespace mx::reports
