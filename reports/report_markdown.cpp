#include "reports/report_markdown.hpp"

#include <fmt/format.h>

#include "reports/stats_text.hpp"

namespace mx::reports {
namespace {

std::string percent_of(std::int64_t count, std::int64_t total) {
  return total > 0 ? fmt::format("{:.1f}%", store::percent(count, total)) : "–";
}

std::string figures_markdown(const std::vector<Figure>& figures) {
  std::string out =
      "\n## Figures\n\n| figure | count | of | share |\n| --- | ---: | ---: | ---: |\n";
  for (const auto& figure : figures) {
    out += fmt::format("| {} | {} | {} | {} |\n", markdown_cell(figure.label), figure.count,
                       figure.total, percent_of(figure.count, figure.total));
  }
  return out;
}

std::string trend_markdown(const std::vector<store::ValidationNight>& history) {
  std::string out = "\n## Categories across validations\n\n| run | started |";
  std::string rule = "| ---: | --- |";
  const auto categories = trend_categories(history);
  for (const auto category : categories) {
    out += fmt::format(" {} |", category);
    rule += " ---: |";
  }
  out += " urgent |\n" + rule + " ---: |\n";
  for (const auto& night : history) {
    out += fmt::format("| {} | {} |", night.run, markdown_cell(night.started_at));
    for (const auto category : categories) {
      const auto found = night.categories.find(std::string(category));
      out += fmt::format(" {} |", found == night.categories.end() ? 0 : found->second);
    }
    out += fmt::format(" {} |\n", night.urgent);
  }
  return out;
}

std::string chart_markdown(const BarChart& chart) {
  std::string out =
      fmt::format("\n### {}\n\n| {} | {} | share |\n| --- | ---: | ---: |\n",
                  markdown_cell(chart.title), markdown_cell(chart.key), markdown_cell(chart.unit));
  for (const auto& bar : chart.bars) {
    out += fmt::format(
        "| {} | {} | {} |\n",
        markdown_cell(bar.status.empty() || bar.status == bar.label ? bar.label
                                                                    : bar.status + " " + bar.label),
        bar.value, percent_of(bar.value, chart.total));
  }
  if (chart.bars.empty()) {
    out += fmt::format("| no {} | | |\n", markdown_cell(chart.unit));
  }
  if (chart.hidden > 0) {
    out += fmt::format("\nand {} more.\n", chart.hidden);
  }
  return out;
}

std::string table_markdown(const DomainTable& table) {
  std::string out = fmt::format("\n## {} ({})\n\n", markdown_cell(table.title), table.total);
  if (!table.note.empty()) {
    out += table.note + "\n\n";
  }
  if (table.rows.empty()) {
    return out + "None.\n";
  }
  out += "| domain | status | reasons |\n| --- | --- | --- |\n";
  for (const auto& entry : table.rows) {
    out += fmt::format("| {} | {} | {} |\n", markdown_cell(entry.domain),
                       markdown_cell(entry.status), markdown_reasons(entry.reasons));
  }
  if (table.total > static_cast<std::int64_t>(table.rows.size())) {
    out +=
        fmt::format("\nThe first {} of {}, by name; `mxscan export --status {}` lists every one.\n",
                    table.rows.size(), table.total, table.id == "failing" ? "fail" : "error");
  }
  return out;
}

}  // namespace

std::string render_markdown(const RunReport& report) {
  std::string out;
  if (report.validation) {
    out = validation_markdown(*report.validation);
    out += fmt::format("\n## The run\n\n{}.\n", markdown_cell(run_heading(report.stats.run)));
  } else {
    out = fmt::format("# mxscan report\n\n{}.\n", markdown_cell(run_heading(report.stats.run)));
  }
  out += figures_markdown(report.figures);
  if (report.validation) {
    out += trend_markdown(report.history);
  } else {
    for (const auto& table : report.tables) {
      out += table_markdown(table);
    }
  }
  out += "\n## Charts\n";
  for (const auto& chart : report.charts) {
    out += chart_markdown(chart);
  }
  return out;
}

}  // namespace mx::reports
