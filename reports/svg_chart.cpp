#include "reports/svg_chart.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "reports/html_escape.hpp"

namespace mx::reports {
namespace {

// Bar chart geometry, in CSS pixels (the SVG scales down on narrow screens).
constexpr int kWidth = 560;
constexpr int kLabelWidth = 200;  // labels end 6 px before the bars
constexpr int kValueWidth = 110;
constexpr int kBarArea = kWidth - kLabelWidth - kValueWidth;
constexpr int kRow = 22;
constexpr int kBarHeight = 14;
constexpr std::size_t kLabelLength = 27;  // code points shown of a label: fit 194 px at 12 px

// Trend geometry.
constexpr int kTrendWidth = 300;
constexpr int kTrendHeight = 150;
constexpr int kPlotLeft = 40;
constexpr int kPlotRight = 292;
constexpr int kPlotTop = 28;
constexpr int kPlotBottom = 120;

// The colour class of a status; a status this renderer does not know is drawn neutral.
std::string_view status_class(std::string_view status) {
  for (const std::string_view known : {"pass", "warn", "fail", "error", "skipped"}) {
    if (status == known) {
      return known;
    }
  }
  return "none";
}

std::string percent_text(std::int64_t value, std::int64_t total) {
  return total > 0 ? fmt::format(" ({:.1f}%)", store::percent(value, total)) : std::string();
}

// A bar of `value` against `max` in `area` pixels: at least 1 pixel when nonzero, so that a
// class of one among thousands still shows.
double length_of(std::int64_t value, std::int64_t max, int area) {
  if (value <= 0 || max <= 0) {
    return 0;
  }
  return std::max(
      1.0, static_cast<double>(area) * static_cast<double>(value) / static_cast<double>(max));
}

std::string svg_open(std::string_view id, int width, int height, std::string_view title) {
  return fmt::format(
      "<svg class=\"chart\" id=\"{0}\" width=\"{1}\" height=\"{2}\" viewBox=\"0 0 {1} {2}\" "
      "role=\"img\" aria-label=\"{3}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{3}</title>",
      id, width, height, escape_html(title));
}

}  // namespace

std::string bar_chart_svg(const BarChart& chart) {
  std::int64_t max = 0;
  for (const auto& bar : chart.bars) {
    max = std::max(max, bar.value);
  }
  const int rows = static_cast<int>(chart.bars.size()) + (chart.hidden > 0 || chart.bars.empty());
  const int height = rows * kRow + 8;
  std::string out = svg_open("chart-" + chart.id, kWidth, height, chart.title);
  int y = 4;
  for (const auto& bar : chart.bars) {
    const auto label = escape_html(bar.label);
    const auto value = fmt::format("{}{}", bar.value, percent_text(bar.value, chart.total));
    out += fmt::format(
        "<g><title>{0}: {1} {2}</title>"
        "<text class=\"label\" x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5}</text>"
        "<rect class=\"bar s-{6}\" data-value=\"{7}\" x=\"{8}\" y=\"{9}\" width=\"{10:.1f}\" "
        "height=\"{11}\"/>"
        "<text class=\"value\" x=\"{12:.1f}\" y=\"{4}\">{1}</text></g>",
        label, value, escape_html(chart.unit), kLabelWidth - 6, y + 15,
        escape_html(shorten(bar.label, kLabelLength)), status_class(bar.status), bar.value,
        kLabelWidth, y + 3, length_of(bar.value, max, kBarArea), kBarHeight,
        kLabelWidth + length_of(bar.value, max, kBarArea) + 6);
    y += kRow;
  }
  if (chart.bars.empty()) {
    out += fmt::format("<text class=\"note\" x=\"{}\" y=\"{}\">no {}</text>", kLabelWidth, y + 15,
                       escape_html(chart.unit));
  } else if (chart.hidden > 0) {
    out += fmt::format("<text class=\"note\" x=\"{}\" y=\"{}\">and {} more</text>", kLabelWidth,
                       y + 15, chart.hidden);
  }
  return out + "</svg>";
}

std::string trend_svg(std::string_view category,
                      const std::vector<store::ValidationNight>& history) {
  std::vector<std::int64_t> values;
  std::int64_t max = 0;
  for (const auto& night : history) {
    const auto found = night.categories.find(std::string(category));
    values.push_back(found == night.categories.end() ? 0 : found->second);
    max = std::max(max, values.back());
  }
  std::string out = svg_open(fmt::format("trend-{}", category), kTrendWidth, kTrendHeight,
                             fmt::format("{} across validations", category));
  out += fmt::format("<text class=\"heading\" x=\"0\" y=\"14\">{}</text>", category);
  out += fmt::format(
      "<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>"
      "<text class=\"note\" x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5}</text>"
      "<text class=\"note\" x=\"{3}\" y=\"{1}\" text-anchor=\"end\">0</text>",
      kPlotLeft, kPlotBottom, kPlotRight, kPlotLeft - 4, kPlotTop + 10, max);
  const auto n = static_cast<int>(history.size());
  const double slot = n > 0 ? static_cast<double>(kPlotRight - kPlotLeft) / n : 0;
  const double width = std::max(1.0, slot * 0.7);
  for (int i = 0; i < n; ++i) {
    const auto& night = history[static_cast<std::size_t>(i)];
    const auto value = values[static_cast<std::size_t>(i)];
    const double height = length_of(value, max, kPlotBottom - kPlotTop);
    out += fmt::format(
        "<g><title>run {} ({}): {} {}</title><rect class=\"bar c-{}\" data-value=\"{}\" "
        "x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"/></g>",
        night.run, escape_html(night.started_at), value, category, category, value,
        kPlotLeft + slot * i + (slot - width) / 2, kPlotBottom - height, width, height);
  }
  if (n > 0) {
    // Dates only: the first night's under the left edge, the last one's under the right.
    out += fmt::format(
        "<text class=\"note\" x=\"{}\" y=\"{}\">{}</text>"
        "<text class=\"note\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
        kPlotLeft, kPlotBottom + 16, escape_html(history.front().started_at.substr(0, 10)),
        kPlotRight, kPlotBottom + 16, escape_html(history.back().started_at.substr(0, 10)));
  }
  return out + "</svg>";
}

}  // namespace mx::reports
