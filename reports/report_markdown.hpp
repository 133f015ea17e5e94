#pragma once
// `mxscan report --format md`: the report as Markdown, for e-mail. A validation run's starts with
// validate's own Markdown report (reports/validation_report.hpp: categories, urgent entries and
// every section with its reasons); every run's has the headline figures, each chart as a table,
// and, for a validation, the categories across its author's validations. Text from the database
// goes through markdown_cell. Pure.

#include <string>

#include "reports/run_report.hpp"

namespace mx::reports {

[[nodiscard]] std::string render_markdown(const RunReport& report);

}  // namespace mx::reports
