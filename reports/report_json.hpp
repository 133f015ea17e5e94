#pragma once
// `mxscan report --format json`: the report as one JSON object, for other tools, and the data the
// HTML report embeds for its script. Members: run, title, figures, validation (null for a run
// that is not a categorised validation), charts, trend, tables; documented in README.md
// ("mxscan report"). Pure.

#include <boost/json/object.hpp>

#include "reports/run_report.hpp"

namespace mx::reports {

[[nodiscard]] boost::json::object report_json(const RunReport& report);

}  // namespace mx::reports
