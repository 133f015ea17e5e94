#pragma once
// Charts of the HTML report as inline SVG, drawn here with explicit sizes (no script draws them,
// so a page without script still shows them). Colours and fonts come from the page's CSS
// classes: `bar` and `s-<status>` or `c-<category>`. Labels from the database are shortened and
// escaped (reports/html_escape.hpp); each bar's <title> holds the whole label. Pure.

#include <string>
#include <string_view>
#include <vector>

#include "reports/run_report.hpp"
#include "store/validations.hpp"

namespace mx::reports {

// One row per bar: the label, the bar (length proportional to the largest value), and
// "value (percent of the chart's total)"; a last line says how many classes are not shown.
[[nodiscard]] std::string bar_chart_svg(const BarChart& chart);

// One validation category across nights: a column per night, oldest first.
[[nodiscard]] std::string trend_svg(std::string_view category,
                                    const std::vector<store::ValidationNight>& history);

}  // namespace mx::reports
