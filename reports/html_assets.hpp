#pragma once
// The HTML report's one style sheet and one script, inline in every page (the report is one
// self-contained file). They are constants: the page's Content-Security-Policy allows exactly
// these by their SHA-256, and nothing from the database ever enters them.
//
// The script sorts a table of class `domains` when a header's button is clicked (numbers inside
// text compare as numbers) and filters its rows with the `input.filter` whose id is
// `filter-<table id>`, writing "shown of total" into `#shown-<table id>`. With `#selftest` in the
// URL it also exercises the page once loaded (sorts and filters each table, measures each
// `svg.chart` and its bars and the page's width against the window's, records every error and
// CSP violation) and appends the result as JSON
// to `<pre id="selftest">`, for a headless browser's --dump-dom: the acceptance test's hook.

#include <string_view>

namespace mx::reports {

[[nodiscard]] std::string_view report_style();
[[nodiscard]] std::string_view report_script();

}  // namespace mx::reports
