#include "reports/stats_data.hpp"

#include <cmath>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "reports/csv_field.hpp"
#include "reports/json_string.hpp"

namespace mx::reports {
namespace {

// Percentages to two decimals: the counts and totals beside them are exact.
std::string two_decimals(double value) {
  const double rounded = std::round(value * 100.0) / 100.0;
  return fmt::format("{:.2f}", rounded == 0.0 ? 0.0 : rounded);  // no "-0.00"
}

std::string json_or_null(std::string_view text) {
  return text.empty() ? "null" : json_string(text);
}

void write_run_json(const store::RunOverview& run, std::ostream& out) {
  out << fmt::format(R"({{"id":{},"kind":{},"state":{},"started_at":{},"finished_at":{},)"
                     R"("domains":{}}})",
                     run.id, json_string(run.kind), json_string(run.state),
                     json_string(run.started_at),
                     run.finished_at ? json_string(*run.finished_at) : "null", run.domains);
}

void write_tally_json(const store::NamedTally& named, std::ostream& out) {
  const auto& tally = *named.tally;
  out << fmt::format(R"({{"title":{},"unit":{},"total":{},"distinct":{},"secondary_unit":{},)",
                     json_string(named.title), json_string(tally.unit), tally.total, tally.distinct,
                     json_or_null(tally.secondary_unit));
  out << R"("rows":[)";
  for (std::size_t i = 0; i < tally.rows.size(); ++i) {
    const auto& row = tally.rows[i];
    out << fmt::format(R"({}{{"key":{},"status":{},"count":{},"percent":{},"secondary":{}}})",
                       i == 0 ? "" : ",", json_string(row.key), json_or_null(row.status), row.count,
                       two_decimals(store::percent(row.count, tally.total)),
                       row.secondary ? std::to_string(*row.secondary) : "null");
  }
  out << "]}";
}

void write_compared_json(const store::ComparedTally& tally, std::ostream& out) {
  out << fmt::format(R"({{"title":{},"unit":{},"from_total":{},"to_total":{},"rows":[)",
                     json_string(tally.title), json_string(tally.unit), tally.from_total,
                     tally.to_total);
  for (std::size_t i = 0; i < tally.rows.size(); ++i) {
    const auto& row = tally.rows[i];
    out << fmt::format(
        R"({}{{"key":{},"status":{},"from":{},"to":{},"from_percent":{},"to_percent":{},)"
        R"("delta":{},"delta_points":{}}})",
        i == 0 ? "" : ",", json_string(row.key), json_or_null(row.status), row.from, row.to,
        two_decimals(row.from_percent), two_decimals(row.to_percent), row.delta(),
        two_decimals(row.delta_points()));
  }
  out << "]}";
}

// Absent values (no status, no secondary count) are NULL: an empty field, not "".
std::optional<std::string_view> or_null(std::string_view text) {
  return text.empty() ? std::nullopt : std::optional(text);
}

void csv_row(std::ostream& out, std::initializer_list<std::optional<std::string_view>> fields) {
  bool first = true;
  for (const auto& field : fields) {
    out << (first ? "" : ",");
    first = false;
    if (field) {
      write_csv_field(out, *field);
    }
  }
  out << "\r\n";
}

}  // namespace

void write_stats_json(const store::RunStats& stats, std::ostream& out) {
  out << R"({"run":)";
  write_run_json(stats.run, out);
  out << R"(,"tallies":{)";
  bool first = true;
  for (const auto& named : store::named_tallies(stats)) {
    out << (first ? "" : ",") << json_string(named.id) << ':';
    first = false;
    write_tally_json(named, out);
  }
  out << "}}\n";
}

void write_comparison_json(const store::RunComparison& comparison, std::ostream& out) {
  out << R"({"from":)";
  write_run_json(comparison.from, out);
  out << R"(,"to":)";
  write_run_json(comparison.to, out);
  out << R"(,"tallies":{)";
  bool first = true;
  for (const auto& tally : comparison.tallies) {
    out << (first ? "" : ",") << json_string(tally.id) << ':';
    first = false;
    write_compared_json(tally, out);
  }
  out << "}}\n";
}

void write_stats_csv(const store::RunStats& stats, std::ostream& out) {
  out << "run,tally,unit,key,status,count,total,percent,secondary_unit,secondary\r\n";
  const auto run = std::to_string(stats.run.id);
  for (const auto& named : store::named_tallies(stats)) {
    const auto& tally = *named.tally;
    const auto total = std::to_string(tally.total);
    for (const auto& row : tally.rows) {
      const auto secondary = row.secondary ? std::to_string(*row.secondary) : "";
      csv_row(out,
              {run, named.id, tally.unit, row.key, or_null(row.status), std::to_string(row.count),
               total, two_decimals(store::percent(row.count, tally.total)),
               or_null(tally.secondary_unit), or_null(secondary)});
    }
  }
}

void write_comparison_csv(const store::RunComparison& comparison, std::ostream& out) {
  out << "tally,unit,key,status,from_run,from_count,from_total,from_percent,to_run,to_count,"
         "to_total,to_percent,delta,delta_points\r\n";
  const auto from_run = std::to_string(comparison.from.id);
  const auto to_run = std::to_string(comparison.to.id);
  for (const auto& tally : comparison.tallies) {
    for (const auto& row : tally.rows) {
      csv_row(out, {tally.id, tally.unit, row.key, or_null(row.status), from_run,
                    std::to_string(row.from), std::to_string(tally.from_total),
                    two_decimals(row.from_percent), to_run, std::to_string(row.to),
                    std::to_string(tally.to_total), two_decimals(row.to_percent),
                    std::to_string(row.delta()), two_decimals(row.delta_points())});
    }
  }
}

}  // namespace mx::reports
