#include "reports/stats_text.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "reports/utf8.hpp"

namespace mx::reports {
namespace {

constexpr std::size_t kMaxKeyWidth = 60;
constexpr std::size_t kMinKeyWidth = 24;

struct Cell {
  std::string text;
  std::size_t width = 0;  // in code points: what a terminal shows of it, near enough
};

std::size_t code_points(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); i += decode_utf8(text, i).length) {
    ++count;
  }
  return count;
}

// Database text for a terminal: no control character, no broken UTF-8, at most `max` wide.
Cell terminal_text(std::string_view text, std::size_t max) {
  const std::size_t keep = code_points(text) <= max ? max : max - 1;
  Cell cell;
  for (std::size_t i = 0; i < text.size() && cell.width < keep;) {
    const auto point = decode_utf8(text, i);
    const bool control = point.value < 0x20 || (point.value >= 0x7F && point.value <= 0x9F);
    if (point.valid && !control) {
      cell.text.append(text.substr(i, point.length));
    } else {
      cell.text += kReplacementCharacter;
    }
    ++cell.width;
    i += point.length;
  }
  if (keep < max) {
    cell.text += "…";
    ++cell.width;
  }
  return cell;
}

std::string pad_right(const Cell& cell, std::size_t width) {
  return cell.text + std::string(width > cell.width ? width - cell.width : 0, ' ');
}

Cell row_label(const std::string& key, const std::string& status) {
  return terminal_text(status.empty() ? key : status + " " + key, kMaxKeyWidth);
}

std::size_t label_width(const std::vector<Cell>& labels) {
  std::size_t width = kMinKeyWidth;
  for (const auto& label : labels) {
    width = std::max(width, label.width);
  }
  return width;
}

std::string title_line(const store::NamedTally& named) {
  const auto& tally = *named.tally;
  auto line = fmt::format("{} ({} {}", named.title, tally.total, tally.unit);
  if (static_cast<std::int64_t>(tally.rows.size()) < tally.distinct) {
    line += fmt::format("; the largest {} of {}", tally.rows.size(), tally.distinct);
  }
  return line + ")";
}

void write_tally(const store::NamedTally& named, std::ostream& out) {
  const auto& tally = *named.tally;
  out << title_line(named) << '\n';
  if (tally.rows.empty()) {
    out << "  (none)\n";
    return;
  }
  std::vector<Cell> labels;
  for (const auto& row : tally.rows) {
    labels.push_back(row_label(row.key, row.status));
  }
  const auto width = label_width(labels);
  out << fmt::format("  {}  {:>9}  {:>6}", std::string(width, ' '), tally.unit, "%");
  if (!tally.secondary_unit.empty()) {
    out << fmt::format("  {:>12}", tally.secondary_unit);
  }
  out << '\n';
  for (std::size_t i = 0; i < tally.rows.size(); ++i) {
    const auto& row = tally.rows[i];
    out << fmt::format("  {}  {:>9}  {:>6.1f}", pad_right(labels[i], width), row.count,
                       store::percent(row.count, tally.total));
    if (row.secondary) {
      out << fmt::format("  {:>12}", *row.secondary);
    }
    out << '\n';
  }
}

void write_compared(const store::ComparedTally& tally, const store::RunComparison& comparison,
                    std::ostream& out) {
  out << fmt::format("{} ({}: {} in run {}, {} in run {})\n", tally.title, tally.unit,
                     tally.from_total, comparison.from.id, tally.to_total, comparison.to.id);
  if (tally.rows.empty()) {
    out << "  (none)\n";
    return;
  }
  std::vector<Cell> labels;
  for (const auto& row : tally.rows) {
    labels.push_back(row_label(row.key, row.status));
  }
  const auto width = label_width(labels);
  out << fmt::format("  {}  {:>9}  {:>6}  {:>9}  {:>6}  {:>9}  {:>6}\n", std::string(width, ' '),
                     fmt::format("run {}", comparison.from.id), "%",
                     fmt::format("run {}", comparison.to.id), "%", "change", "pp");
  for (std::size_t i = 0; i < tally.rows.size(); ++i) {
    const auto& row = tally.rows[i];
    out << fmt::format("  {}  {:>9}  {:>6.1f}  {:>9}  {:>6.1f}  {:>+9}  {:>+6.1f}\n",
                       pad_right(labels[i], width), row.from, row.from_percent, row.to,
                       row.to_percent, row.delta(), row.delta_points());
  }
}

}  // namespace

std::string run_heading(const store::RunOverview& run) {
  return fmt::format("run {} ({}, {}, started {}): {} domains", run.id, run.kind, run.state,
                     run.started_at, run.domains);
}

void write_stats_text(const store::RunStats& stats, std::ostream& out) {
  out << run_heading(stats.run) << '\n';
  for (const auto& named : store::named_tallies(stats)) {
    out << '\n';
    write_tally(named, out);
  }
}

void write_comparison_text(const store::RunComparison& comparison, std::ostream& out) {
  out << "from " << run_heading(comparison.from) << '\n'
      << "to   " << run_heading(comparison.to) << '\n'
      << fmt::format("change: run {} minus run {}, in counts and in percentage points (pp)\n",
                     comparison.to.id, comparison.from.id);
  for (const auto& tally : comparison.tallies) {
    out << '\n';
    write_compared(tally, comparison, out);
  }
}

}  // namespace mx::reports
