#include "reports/validation_report.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/json.hpp>

#include "reports/domain_reasons.hpp"

namespace mx::reports {
namespace {

namespace json = boost::json;

json::object domain_object(const store::ValidationRow& row) {
  auto parsed = json::parse(row.result_json);
  return parsed.is_object() ? std::move(parsed.as_object()) : json::object{};
}

// "check:code (host, host), check:code": each check and code once, with the hosts it is about.
std::string reasons_line(const std::vector<Reason>& reasons) {
  std::vector<std::pair<std::string, std::vector<std::string>>> grouped;
  for (const auto& reason : reasons) {
    const auto code = reason.check_code();
    auto it = std::find_if(grouped.begin(), grouped.end(),
                           [&](const auto& g) { return g.first == code; });
    if (it == grouped.end()) {
      it = grouped.insert(grouped.end(), {code, {}});
    }
    if (reason.where != "domain") {
      it->second.push_back(reason.where);
    }
  }
  std::string out;
  for (const auto& [code, hosts] : grouped) {
    out += out.empty() ? "" : ", ";
    out += code;
    if (!hosts.empty()) {
      out += fmt::format(" ({})", fmt::join(hosts, ", "));
    }
  }
  return out;
}

std::string heading(const ValidationReport& report) {
  return fmt::format("validation run {} of the list by \"{}\" dated {} ({}), {}", report.run,
                     report.author, report.list_version, report.started_at,
                     report.previous_run
                         ? fmt::format("compared with run {} ({})", *report.previous_run,
                                       report.previous_started_at.value_or(""))
                         : std::string("the first validation of this list"));
}

}  // namespace

std::vector<std::pair<std::string_view, std::size_t>> category_counts(
    const ValidationReport& report) {
  std::vector<std::pair<std::string_view, std::size_t>> out;
  for (const auto category : kValidationCategories) {
    const auto count =
        std::count_if(report.rows.begin(), report.rows.end(),
                      [&](const store::ValidationRow& row) { return row.category == category; });
    out.emplace_back(category, static_cast<std::size_t>(count));
  }
  return out;
}

bool category_shown(std::string_view category, std::size_t count) {
  return count > 0 || category != "excluded";
}

std::vector<std::string_view> trend_categories(const std::vector<store::ValidationNight>& history) {
  std::vector<std::string_view> out;
  for (const auto category : kValidationCategories) {
    std::size_t total = 0;
    for (const auto& night : history) {
      const auto found = night.categories.find(std::string(category));
      total += found == night.categories.end() ? 0 : static_cast<std::size_t>(found->second);
    }
    if (category_shown(category, total)) {
      out.push_back(category);
    }
  }
  return out;
}

std::size_t urgent_count(const ValidationReport& report) {
  return static_cast<std::size_t>(
      std::count_if(report.rows.begin(), report.rows.end(),
                    [](const store::ValidationRow& row) { return row.urgent; }));
}

std::vector<Reason> validation_reasons(const store::ValidationRow& row) {
  const auto domain = domain_object(row);
  if (row.status == "skipped") {
    // Which --exclude entries, at which lines; not every check the exclusion skipped.
    auto reasons = reasons_with_status(domain, "skipped");
    std::erase_if(reasons, [](const Reason& reason) { return reason.code != "excluded"; });
    return reasons;
  }
  return reasons_with_status(domain, row.status == "error" ? "error" : "fail");
}

std::string since_text(const store::ValidationRow& row) {
  if (row.category == "still-failing") {
    return fmt::format("{} validations since {}", row.failing_streak,
                       row.failing_since.value_or("?"));
  }
  return row.failing_since.value_or("");
}

std::vector<ValidationSection> validation_sections(const ValidationReport& report) {
  std::vector<ValidationSection> out{
      {"urgent",
       "Urgent",
       "Failing `enforce` entries: senders that enforce the list stop delivering.",
       {}},
      {"newly-failing", "Newly failing", "", {}},
      {"still-failing", "Still failing", "", {}},
      {"undetermined",
       "Undetermined",
       "Could not be determined, even after a second look; not a failure.",
       {}},
      {"recovered", "Recovered", "", {}},
      {"excluded",
       "Excluded",
       "Not checked: `--exclude` covers the domain or every MX host of it. A failing streak "
       "carries over unchanged.",
       {}},
      {"removal-candidates",
       "Removal candidates",
       fmt::format("`enforce` entries failing in each of their last {} validations.",
                   report.remove_after),
       {}}};
  for (const auto& row : report.rows) {
    const std::array<bool, 7> in{row.urgent,
                                 row.category == "newly-failing" && !row.urgent,
                                 row.category == "still-failing" && !row.urgent,
                                 row.category == "undetermined",
                                 row.category == "recovered",
                                 row.category == "excluded",
                                 removal_candidate(row, report.remove_after)};
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (in[i]) {
        out[i].rows.push_back(&row);
      }
    }
  }
  return out;
}

ValidationReport load_validation_report(const store::Database& db, std::int64_t run,
                                        int remove_after) {
  auto info = db.prepare(
      "SELECT coalesce(list_author, ''), coalesce(list_version, ''), started_at, kind FROM runs "
      "WHERE id = ?1");
  info.bind(1, run);
  if (!info.step() || info.column_text(3) != "validate") {
    throw store::StoreError(fmt::format("run {} is not a validation", run), SQLITE_NOTFOUND);
  }
  ValidationReport report;
  report.run = run;
  report.author = info.column_text(0);
  report.list_version = info.column_text(1);
  report.started_at = info.column_text(2);
  report.remove_after = remove_after;
  report.rows = store::read_validation(db, run);
  if (!report.rows.empty()) {
    report.previous_run = report.rows.front().previous_run;
  }
  if (report.previous_run) {
    auto previous = db.prepare("SELECT started_at FROM runs WHERE id = ?1");
    previous.bind(1, *report.previous_run);
    if (previous.step()) {
      report.previous_started_at = previous.column_text(0);
    }
  }
  return report;
}

bool removal_candidate(const store::ValidationRow& row, int remove_after) {
  return row.mode == "enforce" && row.status == "fail" && row.failing_streak >= remove_after;
}

json::object validation_json(const store::ValidationRow& row, int remove_after) {
  auto out = domain_object(row);
  out["category"] = row.category;
  out["urgent"] = row.urgent;
  out["failing_streak"] = row.failing_streak;
  if (row.failing_since) {
    out["failing_since"] = *row.failing_since;
  } else {
    out["failing_since"] = nullptr;
  }
  out["removal_candidate"] = removal_candidate(row, remove_after);
  return out;
}

std::string validation_text(const ValidationReport& report) {
  std::string out = "mxscan validate: " + heading(report) + "\n";
  std::vector<std::string> counts;
  for (const auto& [category, count] : category_counts(report)) {
    if (category_shown(category, count)) {
      counts.push_back(fmt::format("{} {}", count, category));
    }
  }
  out += fmt::format("  {} entries: {}; {} urgent\n", report.rows.size(), fmt::join(counts, ", "),
                     urgent_count(report));

  auto section = [&](const std::string& title, auto&& wanted, bool with_reasons) {
    std::string body;
    for (const auto& row : report.rows) {
      if (!wanted(row)) {
        continue;
      }
      body += fmt::format("  {:<32} {:<8} {:<14} {}\n", row.domain, row.mode, row.category,
                          with_reasons ? reasons_line(validation_reasons(row)) : since_text(row));
    }
    if (!body.empty()) {
      out += "\n" + title + "\n" + body;
    }
  };
  section(
      "Urgent: enforce entries failing (senders that enforce the list stop delivering):",
      [](const store::ValidationRow& r) { return r.urgent; }, true);
  section(
      "Newly failing (testing entries):",
      [](const store::ValidationRow& r) { return r.category == "newly-failing" && !r.urgent; },
      true);
  section(
      "Still failing (testing entries):",
      [](const store::ValidationRow& r) { return r.category == "still-failing" && !r.urgent; },
      false);
  section(
      "Recovered:", [](const store::ValidationRow& r) { return r.category == "recovered"; }, false);
  section(
      "Undetermined (error, observed twice):",
      [](const store::ValidationRow& r) { return r.category == "undetermined"; }, true);
  section(
      "Excluded (--exclude, not checked; a failing streak carries over):",
      [](const store::ValidationRow& r) { return r.category == "excluded"; }, true);
  section(
      fmt::format("Removal candidates (enforce, failing in each of the last {} validations):",
                  report.remove_after),
      [&](const store::ValidationRow& r) { return removal_candidate(r, report.remove_after); },
      false);
  return out;
}

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '|':
      case '*':
      case '_':
      case '`':
      case '[':
      case ']':
      case '\\':
      case '#':
        out += '\\';
        out += c;
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\r':
      case '\n':
      case '\t':
        out += ' ';
        break;
      default:
        // Other control characters would reach the reader's terminal or mail client raw.
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += "\\x" + fmt::format("{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string markdown_reasons(const std::vector<Reason>& reasons) {
  std::string out;
  for (const auto& reason : reasons) {
    out += out.empty() ? "" : "<br>";
    out += "`" + markdown_cell(reason.check_code()) + "`";
    if (reason.where != "domain") {
      out += " at " + markdown_cell(reason.where);
    }
    out += ": " + markdown_cell(reason.message);
  }
  return out;
}

std::string validation_markdown(const ValidationReport& report) {
  std::string out = "# STARTTLS policy list: nightly validation\n\n";
  out += markdown_cell(heading(report)) + ".\n\n";
  out += "| category | entries |\n| --- | ---: |\n";
  for (const auto& [category, count] : category_counts(report)) {
    if (category_shown(category, count)) {
      out += fmt::format("| {} | {} |\n", category, count);
    }
  }
  out += fmt::format("| **urgent** (failing `enforce` entries) | {} |\n", urgent_count(report));

  for (const auto& section : validation_sections(report)) {
    if (section.rows.empty()) {
      continue;
    }
    out += "\n## " + section.title + "\n\n";
    if (!section.note.empty()) {
      out += section.note + "\n\n";
    }
    out += "| domain | mode | category | since | reasons |\n| --- | --- | --- | --- | --- |\n";
    for (const auto* row : section.rows) {
      out +=
          fmt::format("| {} | {} | {}{} | {} | {} |\n", markdown_cell(row->domain), row->mode,
                      row->category, row->urgent ? " **urgent**" : "",
                      markdown_cell(since_text(*row)), markdown_reasons(validation_reasons(*row)));
    }
  }
  return out;
}

}  // namespace mx::reports
