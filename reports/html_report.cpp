#include "reports/html_report.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

#include <fmt/format.h>

#include "reports/html_assets.hpp"
#include "reports/html_escape.hpp"
#include "reports/json_writer.hpp"
#include "reports/report_json.hpp"
#include "reports/stats_text.hpp"
#include "reports/svg_chart.hpp"

namespace mx::reports {
namespace {

// A CSP source expression allowing exactly `text` as an inline <style> or <script> body.
std::string csp_hash(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> base64{};
  const auto written = EVP_EncodeBlock(base64.data(), digest.data(), static_cast<int>(length));
  return fmt::format("'sha256-{}'", std::string_view(reinterpret_cast<const char*>(base64.data()),
                                                     static_cast<std::size_t>(written)));
}

// Our own notes are Markdown with `code` spans only; this renders them for HTML.
std::string note_html(std::string_view note) {
  std::string out;
  bool open = false;
  for (const char c : escape_html(note)) {
    if (c == '`') {
      out += open ? "</code>" : "<code>";
      open = !open;
    } else {
      out += c;
    }
  }
  return open ? out + "</code>" : out;
}

std::string percent_of(std::int64_t count, std::int64_t total) {
  return total > 0 ? fmt::format("{:.1f}%", store::percent(count, total)) : "–";
}

std::string validation_summary(const ValidationReport& validation) {
  std::string out =
      fmt::format("<p>The list by <strong>{}</strong> dated {}, validated {}; {}.</p>",
                  escape_html(validation.author), escape_html(validation.list_version),
                  escape_html(validation.started_at),
                  validation.previous_run
                      ? fmt::format("compared with run {} ({})", *validation.previous_run,
                                    escape_html(validation.previous_started_at.value_or("")))
                      : std::string("the first validation of this list"));
  out +=
      "<table class=\"categories\"><thead><tr><th>category</th><th>entries</th></tr></thead>"
      "<tbody>";
  for (const auto& [category, count] : category_counts(validation)) {
    if (category_shown(category, count)) {
      out += fmt::format("<tr><td>{}</td><td>{}</td></tr>", category, count);
    }
  }
  out += fmt::format(
      "<tr><td class=\"urgent\">urgent (failing <code>enforce</code> entries)</td>"
      "<td class=\"urgent\">{}</td></tr></tbody></table>",
      urgent_count(validation));
  return out;
}

std::string figures_html(const std::vector<Figure>& figures) {
  std::string out = "<ul class=\"figures\">";
  for (const auto& figure : figures) {
    out += fmt::format("<li><strong>{}</strong>{} of {} {}</li>",
                       percent_of(figure.count, figure.total), figure.count, figure.total,
                       escape_html(figure.label));
  }
  return out + "</ul>";
}

std::string trend_html(const std::vector<store::ValidationNight>& history) {
  std::string out = fmt::format(
      "<section id=\"trend\"><h2>Categories across validations</h2><p class=\"note\">The last "
      "{} validations of this list's author, oldest first; each chart has its own scale.</p>"
      "<div class=\"charts trend\">",
      history.size());
  for (const auto category : trend_categories(history)) {
    out += "<figure>" + trend_svg(category, history) + "</figure>";
  }
  return out + "</div></section>";
}

std::string charts_html(const std::vector<BarChart>& charts) {
  std::string out = "<section id=\"charts\"><h2>Charts</h2><div class=\"charts\">";
  for (const auto& chart : charts) {
    out += fmt::format("<figure><figcaption>{}</figcaption>{}</figure>", escape_html(chart.title),
                       bar_chart_svg(chart));
  }
  return out + "</div></section>";
}

std::string reasons_html(const std::vector<Reason>& reasons) {
  if (reasons.empty()) {
    return {};
  }
  std::string out = "<ul class=\"reasons\">";
  for (const auto& reason : reasons) {
    out += "<li><code>" + escape_html(reason.check_code()) + "</code>";
    if (reason.where != "domain") {
      out += " at " + escape_html(reason.where);
    }
    out += ": " + escape_html(reason.message) + "</li>";
  }
  return out + "</ul>";
}

std::string cell(std::string_view label, std::string_view content, std::string_view cls = {}) {
  return fmt::format("<td{} data-label=\"{}\">{}</td>",
                     cls.empty() ? std::string() : fmt::format(" class=\"{}\"", cls), label,
                     content);
}

std::string row_html(const DomainEntry& entry, bool validation) {
  std::string out = "<tr>" + cell("domain", escape_html(entry.domain), "domain");
  if (validation) {
    out += cell("mode", escape_html(entry.mode));
    out += cell("category", escape_html(entry.category) +
                                (entry.urgent ? " <span class=\"urgent\">urgent</span>" : ""));
    out += cell("since", escape_html(entry.since));
  } else {
    out += cell("status", escape_html(entry.status));
  }
  return out + cell("reasons", reasons_html(entry.reasons)) + "</tr>";
}

std::string table_html(const DomainTable& table) {
  const auto id = "table-" + table.id;
  std::string out = fmt::format("<section class=\"domains\" id=\"section-{}\"><h3>{} ({})</h3>",
                                escape_html(table.id), escape_html(table.title), table.total);
  if (!table.note.empty()) {
    out += "<p class=\"note\">" + note_html(table.note) + "</p>";
  }
  if (table.rows.empty()) {
    return out + "<p class=\"muted\">None.</p></section>";
  }
  out += fmt::format(
      "<div class=\"tools\"><input type=\"search\" class=\"filter\" id=\"filter-{0}\" "
      "placeholder=\"Filter: domain, host, code, text\" aria-label=\"Filter {1}\">"
      "<span class=\"muted\" id=\"shown-{0}\">{2} of {2}</span></div>",
      escape_html(id), escape_html(table.title), table.rows.size());
  out += fmt::format("<div class=\"scroll\"><table class=\"domains\" id=\"{}\"><thead><tr>",
                     escape_html(id));
  const auto columns =
      table.validation
          ? std::vector<std::string_view>{"domain", "mode", "category", "since", "reasons"}
          : std::vector<std::string_view>{"domain", "status", "reasons"};
  for (const auto column : columns) {
    out += fmt::format("<th><button type=\"button\">{}</button></th>", column);
  }
  out += "</tr></thead><tbody>";
  for (const auto& entry : table.rows) {
    out += row_html(entry, table.validation);
  }
  out += "</tbody></table></div>";
  if (table.total > static_cast<std::int64_t>(table.rows.size())) {
    out += fmt::format(
        "<p class=\"note\">The first {} of {}, by name; <code>mxscan export --status {}</code> "
        "lists every one.</p>",
        table.rows.size(), table.total, table.id == "failing" ? "fail" : "error");
  }
  return out + "</section>";
}

}  // namespace

std::string render_html(const RunReport& report) {
  const auto title = run_heading(report.stats.run);
  const auto heading = report.validation ? std::string("STARTTLS policy list: nightly validation")
                                         : std::string("mxscan report");
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src {}; "
      "script-src {}; base-uri 'none'; form-action 'none'\">"
      "<meta name=\"referrer\" content=\"no-referrer\">"
      "<title>{}: {}</title><style>{}</style></head><body>"
      "<header><h1>{}</h1><p class=\"muted\">{}</p></header><main>"
      "<section id=\"summary\"><h2>Summary</h2>",
      csp_hash(report_style()), csp_hash(report_script()), escape_html(heading), escape_html(title),
      report_style(), escape_html(heading), escape_html(title));
  if (report.validation) {
    out += validation_summary(*report.validation);
  }
  out += figures_html(report.figures) + "</section>";
  if (report.validation) {
    out += trend_html(report.history);
  }
  out += charts_html(report.charts);
  out +=
      "<section id=\"domains\"><h2>Domains</h2><p class=\"note\">Click a column's name to "
      "sort by it; type in a box to filter its table.</p>";
  for (const auto& table : report.tables) {
    out += table_html(table);
  }
  out +=
      "</section></main><footer>Written by mxscan from its database alone: rendering a "
      "report again never rescans.</footer>";
  out += "<script type=\"application/json\" id=\"report-data\">" + json_text(report_json(report)) +
         "</script>";
  out += "<script>" + std::string(report_script()) + "</script></body></html>\n";
  return out;
}

}  // namespace mx::reports
