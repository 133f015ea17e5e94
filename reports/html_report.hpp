#pragma once
// `mxscan report --format html`: one self-contained page (no network: inline CSS, inline SVG, one
// inline script; a Content-Security-Policy that allows only those, by hash) that reads on a phone
// as on a desk. A summary, the charts (reports/svg_chart.hpp), for a validation the trend of each
// category across its author's validations, and the domain tables, sortable and filterable
// (reports/html_assets.hpp). The report's JSON (reports/report_json.hpp) is embedded as data in a
// <script type="application/json" id="report-data">, never as code. Every string from the
// database is escaped for where it goes. Pure.

#include <string>

#include "reports/run_report.hpp"

namespace mx::reports {

[[nodiscard]] std::string render_html(const RunReport& report);

}  // namespace mx::reports
