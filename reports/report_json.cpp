#include "reports/report_json.hpp"

#include <boost/json.hpp>

#include "reports/stats_text.hpp"

namespace mx::reports {
namespace {

namespace json = boost::json;

json::value optional_text(const std::optional<std::string>& text) {
  return text ? json::value(*text) : json::value(nullptr);
}

json::object run_json(const store::RunOverview& run) {
  return {{"id", run.id},
          {"kind", run.kind},
          {"state", run.state},
          {"started_at", run.started_at},
          {"finished_at", optional_text(run.finished_at)},
          {"domains", run.domains}};
}

json::value validation_json(const std::optional<ValidationReport>& validation) {
  if (!validation) {
    return nullptr;
  }
  json::object categories;
  for (const auto& [category, count] : category_counts(*validation)) {
    categories[category] = static_cast<std::int64_t>(count);
  }
  return json::object{
      {"author", validation->author},
      {"list_version", validation->list_version},
      {"previous_run",
       validation->previous_run ? json::value(*validation->previous_run) : json::value(nullptr)},
      {"previous_started_at", optional_text(validation->previous_started_at)},
      {"entries", static_cast<std::int64_t>(validation->rows.size())},
      {"categories", std::move(categories)},
      {"urgent", static_cast<std::int64_t>(urgent_count(*validation))},
      {"remove_after", validation->remove_after}};
}

json::array charts_json(const std::vector<BarChart>& charts) {
  json::array out;
  for (const auto& chart : charts) {
    json::array bars;
    for (const auto& bar : chart.bars) {
      bars.push_back(
          json::object{{"label", bar.label}, {"status", bar.status}, {"value", bar.value}});
    }
    out.push_back(json::object{{"id", chart.id},
                               {"title", chart.title},
                               {"key", chart.key},
                               {"unit", chart.unit},
                               {"total", chart.total},
                               {"hidden", chart.hidden},
                               {"bars", std::move(bars)}});
  }
  return out;
}

json::array trend_json(const std::vector<store::ValidationNight>& history) {
  json::array out;
  for (const auto& night : history) {
    json::object categories;
    for (const auto category : kValidationCategories) {
      const auto found = night.categories.find(std::string(category));
      categories[category] = found == night.categories.end() ? 0 : found->second;
    }
    out.push_back(json::object{{"run", night.run},
                               {"started_at", night.started_at},
                               {"categories", std::move(categories)},
                               {"urgent", night.urgent}});
  }
  return out;
}

json::object entry_json(const DomainEntry& entry, bool validation) {
  json::array reasons;
  for (const auto& reason : entry.reasons) {
    reasons.push_back(json::object{{"check", reason.check},
                                   {"code", reason.code},
                                   {"status", reason.status},
                                   {"where", reason.where},
                                   {"message", reason.message}});
  }
  json::object out{{"domain", entry.domain}, {"status", entry.status}};
  if (validation) {
    out["mode"] = entry.mode;
    out["category"] = entry.category;
    out["urgent"] = entry.urgent;
    out["since"] = entry.since;
  }
  out["reasons"] = std::move(reasons);
  return out;
}

json::array tables_json(const std::vector<DomainTable>& tables) {
  json::array out;
  for (const auto& table : tables) {
    json::array rows;
    for (const auto& entry : table.rows) {
      rows.push_back(entry_json(entry, table.validation));
    }
    out.push_back(json::object{{"id", table.id},
                               {"title", table.title},
                               {"note", table.note},
                               {"total", table.total},
                               {"rows", std::move(rows)}});
  }
  return out;
}

}  // namespace

json::object report_json(const RunReport& report) {
  json::array figures;
  for (const auto& figure : report.figures) {
    figures.push_back(json::object{{"id", figure.id},
                                   {"label", figure.label},
                                   {"count", figure.count},
                                   {"total", figure.total}});
  }
  return {
      {"run", run_json(report.stats.run)},    {"title", run_heading(report.stats.run)},
      {"figures", std::move(figures)},        {"validation", validation_json(report.validation)},
      {"charts", charts_json(report.charts)}, {"trend", trend_json(report.history)},
      {"tables", tables_json(report.tables)}};
}

}  // namespace mx::reports
