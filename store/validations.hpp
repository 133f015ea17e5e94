#pragma once
// The history questions of the list maintainers' jobs, answered from stored runs
// (CONTRACT.md "Nightly validation and triage"): a validation's categories against the previous
// validation of a list of the same author, removal candidates, and the testing entries clean
// long enough to be promoted.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace mx::store {

struct ValidationRow {
  std::string domain;
  std::string status;    // the domain's status in this validation
  std::string mode;      // its entry's mode
  std::string mxs_json;  // its entry's patterns
  std::string category;  // newly-failing, still-failing, recovered, undetermined, passing
  bool urgent = false;   // a failing enforce entry
  std::int64_t failing_streak = 0;  // consecutive failing validations, this one included
  std::optional<std::string> failing_since;
  std::optional<std::int64_t> previous_run;
  std::string result_json;  // the domain object
};

// The complete validation of a list by `author` that came last before `run`, if any.
[[nodiscard]] std::optional<std::int64_t> previous_validation(const Database& db, std::int64_t run,
                                                              const std::string& author);

// Computes and stores (replacing any earlier computation) the categories of validation `run`
// against the previous validation of the same list author. One transaction: its own, or the
// caller's when one is open (the one that marks the run complete).
void record_validation(Database& db, std::int64_t run);

// The stored categories of validation `run`, in the run's input order.
[[nodiscard]] std::vector<ValidationRow> read_validation(const Database& db, std::int64_t run);

// One validation of a list author's history, as the report's trend draws it.
struct ValidationNight {
  std::int64_t run = 0;
  std::string started_at;
  std::map<std::string, std::int64_t> categories;  // entries per category (absent: none)
  std::int64_t urgent = 0;
};

// The categorised validations of `author`'s list up to `run` (included whatever its state, since
// validate categorises a run as it finishes it; the others when complete), the newest `limit` of
// them, oldest first.
[[nodiscard]] std::vector<ValidationNight> validation_history(const Database& db,
                                                              const std::string& author,
                                                              std::int64_t run, int limit);

struct PromotionCandidate {
  std::string domain;
  std::int64_t clean_validations = 0;  // consecutive pass/warn validations, newest backwards
  std::string clean_since;             // started_at of the oldest of them
};

// Among `domains` (the list's own testing entries), those whose validations by `author` have all
// been pass or warn since at least `days` days before `now` (RFC 3339), counting at least
// `min_validations` of them: each domain's newest validations, back to its first that was not
// pass or warn.
[[nodiscard]] std::vector<PromotionCandidate> promotion_candidates(
    const Database& db, const std::string& author, const std::vector<std::string>& domains,
    const std::string& now, int days, int min_validations);

}  // namespace mx::store
