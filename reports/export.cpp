#include "reports/export.hpp"

#include <string>

namespace mx::reports {
namespace {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) {
    return text;
  }
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') {
      out += '"';
    }
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

std::optional<std::int64_t> latest_run(const store::Database& db) {
  auto query = db.prepare("SELECT max(id) FROM runs");
  if (!query.step() || query.column_is_null(0)) {
    return std::nullopt;
  }
  return query.column_int(0);
}

bool run_exists(const store::Database& db, std::int64_t run) {
  auto query = db.prepare("SELECT 1 FROM runs WHERE id = ?1");
  query.bind(1, run);
  return query.step();
}

std::size_t export_jsonl(const store::Database& db, std::int64_t run, std::ostream& out) {
  auto query = db.prepare("SELECT result FROM domains WHERE run_id = ?1 ORDER BY domain");
  query.bind(1, run);
  std::size_t count = 0;
  while (query.step()) {
    out << query.column_text(0) << '\n';
    ++count;
  }
  return count;
}

std::size_t export_csv(const store::Database& db, std::int64_t run, std::ostream& out) {
  auto query = db.prepare(
      "SELECT d.domain, d.status, "
      "  (SELECT group_concat(host, ' ') FROM (SELECT host FROM mx_hosts h "
      "     WHERE h.run_id = d.run_id AND h.domain = d.domain ORDER BY preference, host)), "
      "  (SELECT group_concat(item, ' ') FROM (SELECT DISTINCT name || ':' || code AS item "
      "     FROM checks c WHERE c.run_id = d.run_id AND c.domain = d.domain "
      "     AND c.status IN ('fail', 'error') ORDER BY item)), "
      "  d.scanned_at, d.attempts "
      "FROM domains d WHERE d.run_id = ?1 ORDER BY d.domain");
  query.bind(1, run);
  out << "domain,status,mx_hosts,failing,scanned_at,attempts\r\n";
  std::size_t count = 0;
  while (query.step()) {
    out << csv_field(query.column_text(0)) << ',' << csv_field(query.column_text(1)) << ','
        << csv_field(query.column_text(2)) << ',' << csv_field(query.column_text(3)) << ','
        << csv_field(query.column_text(4)) << ',' << query.column_int(5) << "\r\n";
    ++count;
  }
  return count;
}

}  // namespace mx::reports
