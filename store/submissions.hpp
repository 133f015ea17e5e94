#pragma once
// Triage's records: each queue line with its decision, and the contact of each domain admitted
// to the list (where `validate --notify-dir` writes when the domain starts failing).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace mx::store {

struct SubmissionRow {
  std::int64_t line = 0;
  std::string domain;
  std::string contact;
  std::string mxs_json;
  std::optional<std::string> mode;
  std::string submitted_at;
  std::string decision;
  std::string reasons_json;
  std::string suggested_mxs_json;
  std::string mta_sts;
};

// Replaces the submissions recorded for `run` (a resumed triage decides again). One transaction:
// its own, or the caller's when one is open (the one that marks the run complete).
void record_submissions(Database& db, std::int64_t run, const std::vector<SubmissionRow>& rows);

// Records (or replaces) the contact of an admitted domain.
void record_contact(Database& db, const std::string& domain, const std::string& contact,
                    const std::string& now, std::int64_t run);

// The contact recorded when `domain` was admitted, if any.
[[nodiscard]] std::optional<std::string> contact_of(const Database& db, const std::string& domain);

}  // namespace mx::store
