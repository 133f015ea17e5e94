#pragma once
// The formats of `mxscan report` and of `validate --report FILE`, named on the command line or
// by the file's extension, and the one function that renders a report in any of them.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "reports/run_report.hpp"

namespace mx::reports {

enum class ReportFormat { html, markdown, json };

// "html", "md", "json"; nullopt for another name.
[[nodiscard]] std::optional<ReportFormat> parse_report_format(std::string_view name);
// By extension, case ignored: .html/.htm, .md/.markdown, .json; nullopt for another.
[[nodiscard]] std::optional<ReportFormat> report_format_of(const std::filesystem::path& path);

[[nodiscard]] std::string render_report(const RunReport& report, ReportFormat format);

}  // namespace mx::reports
