#include "reports/report_format.hpp"

#include <algorithm>
#include <cctype>

#include "reports/html_report.hpp"
#include "reports/json_writer.hpp"
#include "reports/report_json.hpp"
#include "reports/report_markdown.hpp"

namespace mx::reports {

std::optional<ReportFormat> parse_report_format(std::string_view name) {
  if (name == "html") {
    return ReportFormat::html;
  }
  if (name == "md") {
    return ReportFormat::markdown;
  }
  if (name == "json") {
    return ReportFormat::json;
  }
  return std::nullopt;
}

std::optional<ReportFormat> report_format_of(const std::filesystem::path& path) {
  auto extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (extension == ".html" || extension == ".htm") {
    return ReportFormat::html;
  }
  if (extension == ".md" || extension == ".markdown") {
    return ReportFormat::markdown;
  }
  if (extension == ".json") {
    return ReportFormat::json;
  }
  return std::nullopt;
}

std::string render_report(const RunReport& report, ReportFormat format) {
  switch (format) {
    case ReportFormat::html:
      return render_html(report);
    case ReportFormat::markdown:
      return render_markdown(report);
    case ReportFormat::json:
      return json_text(report_json(report)) + "\n";
  }
  return {};
}

}  // namespace mx::reports
