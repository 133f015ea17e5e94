#pragma once
// What a nightly validation tells the maintainers (CONTRACT.md "Nightly validation and
// triage"), read from the database: each entry's category against the previous validation of the
// same list, the urgent ones (failing enforce entries), the removal candidates (enforce entries
// failing in each of their last N validations), as a text summary, Markdown, or one JSON object
// per domain. Reads only.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "store/db.hpp"
#include "store/validations.hpp"

namespace mx::reports {

struct ValidationReport {
  std::int64_t run = 0;
  std::string author;
  std::string list_version;  // the list's timestamp
  std::string started_at;
  std::optional<std::int64_t> previous_run;
  std::optional<std::string> previous_started_at;
  int remove_after = 3;
  std::vector<store::ValidationRow> rows;  // in the run's input order
};

// Throws store::StoreError when `run` is not a validation with recorded categories.
[[nodiscard]] ValidationReport load_validation_report(const store::Database& db, std::int64_t run,
                                                      int remove_after);

// An enforce entry failing in each of its last `remove_after` validations.
[[nodiscard]] bool removal_candidate(const store::ValidationRow& row, int remove_after);

// The domain object with `policy`, plus `category`, `urgent`, `failing_streak`, `failing_since`
// and `removal_candidate`.
[[nodiscard]] boost::json::object validation_json(const store::ValidationRow& row,
                                                  int remove_after);

[[nodiscard]] std::string validation_text(const ValidationReport& report);
[[nodiscard]] std::string validation_markdown(const ValidationReport& report);

// Text made safe for a Markdown table cell: no line breaks, and every character Markdown or an
// HTML renderer would act on (| < > & * _ ` [ ] \ #) escaped.
[[nodiscard]] std::string markdown_cell(std::string_view text);

}  // namespace mx::reports
