#pragma once
// Researcher exports of a stored run (`mxscan export`): the CONTRACT.md domain objects as JSON
// Lines, or one table of the run as RFC 4180 CSV or JSON Lines. Every column is documented in
// docs/schema.md ("Exports"). Functions of the database only: never the network.
//
// Memory stays flat however large the run: one SQLite statement is stepped row by row and each
// row written to `out` as it comes; nothing is collected.

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "store/db.hpp"

namespace mx::reports {

// The newest run in the database (any state), or nullopt when it holds none.
[[nodiscard]] std::optional<std::int64_t> latest_run(const store::Database& db);
[[nodiscard]] bool run_exists(const store::Database& db, std::int64_t run);

enum class ExportTable { domains, mx, endpoints, checks, certificates, mta_sts };
enum class ExportFormat { csv, jsonl };

// "domains", "mx", "endpoints", "checks", "certificates", "mta-sts"; nullopt for another name.
[[nodiscard]] std::optional<ExportTable> parse_export_table(std::string_view name);
[[nodiscard]] std::string_view export_table_name(ExportTable table);

// Rows kept: those of domains with `status`, and of domains having a check named `check` (with
// `code` when given) at any subject. For endpoints and certificates, a row is kept when a kept
// domain's MX host used the endpoint.
struct ExportFilter {
  std::optional<std::string> status;
  std::optional<std::string> check;
  std::optional<std::string> code;  // only with `check`
};

// The domain objects (`--format jsonl` without `--table`), sorted by domain, each as stored.
// Returns the number of lines written.
std::size_t export_domain_objects(const store::Database& db, std::int64_t run,
                                  const ExportFilter& filter, std::ostream& out);

// One table of the run: CSV with a header row and CRLF line ends, or JSON Lines with the columns
// as keys (integers as numbers, NULL as null, lists as arrays). Returns the number of rows.
std::size_t export_table(const store::Database& db, std::int64_t run, ExportTable table,
                         ExportFormat format, const ExportFilter& filter, std::ostream& out);

}  // namespace mx::reports
