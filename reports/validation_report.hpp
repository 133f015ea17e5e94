#pragma once
// What a nightly validation tells the maintainers (CONTRACT.md "Nightly validation and
// triage"), read from the database: each entry's category against the previous validation of the
// same list, the urgent ones (failing enforce entries), the removal candidates (enforce entries
// failing in each of their last N validations), as a text summary, Markdown, or one JSON object
// per domain. Reads only.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "reports/domain_reasons.hpp"
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

inline constexpr std::array<std::string_view, 6> kValidationCategories{
    "newly-failing", "still-failing", "recovered", "undetermined", "passing", "excluded"};

// Whether text, Markdown and HTML show `category` with `count` entries: each of the contract's
// five always, and `excluded` (which only --exclude gives) when some entry is in it, so that a
// validation without --exclude reads as the contract's. JSON always has all six.
[[nodiscard]] bool category_shown(std::string_view category, std::size_t count);
// The categories a trend across `history` shows, in kValidationCategories order.
[[nodiscard]] std::vector<std::string_view> trend_categories(
    const std::vector<store::ValidationNight>& history);

// An enforce entry failing in each of its last `remove_after` validations.
[[nodiscard]] bool removal_candidate(const store::ValidationRow& row, int remove_after);

// The domain object with `policy`, plus `category`, `urgent`, `failing_streak`, `failing_since`
// and `removal_candidate`.
[[nodiscard]] boost::json::object validation_json(const store::ValidationRow& row,
                                                  int remove_after);

// Entries per category, in kValidationCategories order, zeros included.
[[nodiscard]] std::vector<std::pair<std::string_view, std::size_t>> category_counts(
    const ValidationReport& report);
[[nodiscard]] std::size_t urgent_count(const ValidationReport& report);

// What makes the entry fail (when undetermined, what could not be determined; when excluded, the
// --exclude entries that skipped it).
[[nodiscard]] std::vector<Reason> validation_reasons(const store::ValidationRow& row);
// "N validations since T" for a still failing entry, else when it started failing (or "").
[[nodiscard]] std::string since_text(const store::ValidationRow& row);

// A group of entries the maintainers act on, as every report format lists them: urgent, newly
// failing, still failing, undetermined, recovered, excluded, removal candidates. `note` is
// Markdown.
struct ValidationSection {
  std::string_view id;
  std::string title;
  std::string note;
  std::vector<const store::ValidationRow*> rows;  // into the report, in its order; may be empty
};
[[nodiscard]] std::vector<ValidationSection> validation_sections(const ValidationReport& report);

[[nodiscard]] std::string validation_text(const ValidationReport& report);
[[nodiscard]] std::string validation_markdown(const ValidationReport& report);

// Text made safe for a Markdown table cell: no line breaks, and every character Markdown or an
// HTML renderer would act on (| < > & * _ ` [ ] \ #) escaped.
[[nodiscard]] std::string markdown_cell(std::string_view text);

// Reasons for one table cell: "`check:code` at host: message", joined by <br>.
[[nodiscard]] std::string markdown_reasons(const std::vector<Reason>& reasons);

}  // namespace mx::reports
