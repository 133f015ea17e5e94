#include "store/submissions.hpp"

namespace mx::store {

void record_submissions(Database& db, std::int64_t run, const std::vector<SubmissionRow>& rows) {
  // Its own transaction, or a part of the caller's (the one that marks the run complete).
  const bool own = sqlite3_get_autocommit(db.handle()) != 0;
  if (own) {
    db.exec("BEGIN IMMEDIATE");
  }
  try {
    auto clear = db.prepare("DELETE FROM submissions WHERE run_id = ?1");
    clear.bind(1, run);
    clear.run();
    auto insert = db.prepare(
        "INSERT INTO submissions (run_id, line, domain, contact, mxs, mode, submitted_at, "
        "decision, reasons, suggested_mxs, mta_sts) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    for (const auto& row : rows) {
      insert.bind(1, run)
          .bind(2, row.line)
          .bind(3, std::string_view(row.domain))
          .bind(4, std::string_view(row.contact))
          .bind(5, std::string_view(row.mxs_json))
          .bind(6, row.mode)
          .bind(7, std::string_view(row.submitted_at))
          .bind(8, std::string_view(row.decision))
          .bind(9, std::string_view(row.reasons_json))
          .bind(10, std::string_view(row.suggested_mxs_json))
          .bind(11, std::string_view(row.mta_sts));
      insert.run();
    }
    if (own) {
      db.exec("COMMIT");
    }
  } catch (...) {
    if (own) {
      db.rollback();
    }
    throw;
  }
}

void record_contact(Database& db, const std::string& domain, const std::string& contact,
                    const std::string& now, std::int64_t run) {
  auto upsert = db.prepare(
      "INSERT OR REPLACE INTO contacts (domain, contact, admitted_at, run_id) "
      "VALUES (?1, ?2, ?3, ?4)");
  upsert.bind(1, std::string_view(domain))
      .bind(2, std::string_view(contact))
      .bind(3, std::string_view(now))
      .bind(4, run);
  upsert.run();
}

std::optional<std::string> contact_of(const Database& db, const std::string& domain) {
  auto query = db.prepare("SELECT contact FROM contacts WHERE domain = ?1");
  query.bind(1, std::string_view(domain));
  if (!query.step()) {
    return std::nullopt;
  }
  return query.column_text(0);
}

}  // namespace mx::store
