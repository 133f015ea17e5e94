#include "scanner/cli/validate_command.hpp"

#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "list/atomic_file.hpp"
#include "list/queue.hpp"
#include "reports/domain_reasons.hpp"
#include "reports/notify.hpp"
#include "reports/report_format.hpp"
#include "reports/validation_report.hpp"
#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/list_input.hpp"
#include "scanner/cli/stored_run.hpp"
#include "scanner/targets/domain_list.hpp"
#include "store/schema.hpp"
#include "store/submissions.hpp"
#include "store/validations.hpp"

namespace mx::cli {
namespace {

namespace fs = std::filesystem;

// The default sender of notices: the maintainers' postmaster at the EHLO name, when that is a
// domain.
std::string default_from(const ScanOptions& options) {
  return "postmaster@" + options.ehlo_name();
}

// Checked before anything is scanned, so that a bad option never costs a night's scan.
bool check_outputs(const ValidateArgs& args, const std::string& from) {
  if (!args.report.empty() && !reports::report_format_of(args.report)) {
    std::cerr << fmt::format(
        "mxscan validate: --report {}: name a file ending in .html (one self-contained page), .md "
        "(Markdown) or .json\n",
        args.report);
    return false;
  }
  if (args.remove_after < 1) {
    std::cerr << "mxscan validate: --remove-after must be at least 1\n";
    return false;
  }
  if (!args.notify_dir.empty()) {
    std::error_code ec;
    fs::create_directories(args.notify_dir, ec);
    if (ec || !fs::is_directory(args.notify_dir)) {
      std::cerr << fmt::format("mxscan validate: --notify-dir {}: {}\n", args.notify_dir,
                               ec ? ec.message() : "not a directory");
      return false;
    }
    if (!list::valid_contact(from)) {
      std::cerr << fmt::format(
          "mxscan validate: '{}' cannot be the sender of notices; give --notify-from ADDRESS\n",
          from);
      return false;
    }
  }
  return true;
}

std::string input_digest(const list::PolicyList& list,
                         const std::vector<std::optional<judge::ListPolicy>>& policies,
                         const std::vector<std::string>& domains) {
  std::vector<std::string> lines{list.author, list.timestamp};
  for (std::size_t i = 0; i < domains.size(); ++i) {
    std::string line = domains[i] + " " + std::string(list::to_string(policies[i]->mode));
    for (const auto& pattern : policies[i]->mxs) {
      line += " " + pattern;
    }
    lines.push_back(std::move(line));
  }
  return targets::input_digest(lines);
}

void write_notices(const ValidateArgs& args, const std::string& from,
                   const reports::ValidationReport& report, const store::Database& db) {
  std::size_t written = 0;
  for (const auto& row : report.rows) {
    if (row.category != "newly-failing") {
      continue;
    }
    reports::FailureNotice notice;
    notice.domain = row.domain;
    if (auto contact = store::contact_of(db, row.domain);
        contact && list::valid_contact(*contact)) {
      notice.to = *contact;
    }
    notice.from = from;
    notice.list_author = report.author;
    notice.mode = row.mode;
    const auto mxs = boost::json::parse(row.mxs_json);
    if (const auto* patterns = mxs.if_array()) {
      for (const auto& pattern : *patterns) {
        notice.mxs.emplace_back(pattern.as_string());
      }
    }
    const auto domain = boost::json::parse(row.result_json);
    if (!domain.is_object()) {
      continue;
    }
    for (auto& reason : reports::reasons_with_status(domain.get_object(), "fail")) {
      notice.failures.push_back({std::move(reason.where), std::move(reason.check),
                                 std::move(reason.code), std::move(reason.message)});
    }
    notice.failing_since = row.failing_since.value_or(report.started_at);
    notice.date = report.started_at;
    notice.message_id = fmt::format("validation-{}-{}", report.run, row.domain);
    notice.remove_command = fmt::format(
        "Reply to ask for an emergency removal or update: the maintainers record it (mxscan "
        "challenge new {} --action remove|update) and send you the record's value; the next "
        "list carries the change once the record is seen.",
        row.domain);
    list::write_file_atomically(
        fs::path(args.notify_dir) / fmt::format("{}-{}.eml", report.run, row.domain),
        reports::render_notice(notice));
    ++written;
  }
  std::cerr << fmt::format("mxscan validate: {} notice{} written to {}\n", written,
                           written == 1 ? "" : "s", args.notify_dir);
}

}  // namespace

void add_validate_arguments(CLI::App& app, ValidateArgs& args) {
  app.add_option("--list", args.list, "the STARTTLS policy list (JSON, version 0.1)")->required();
  app.add_option("--db", args.db, "SQLite database of the validations (created if missing)")
      ->required();
  app.add_option("--report", args.report,
                 "also write the run's report to FILE: .html (one self-contained page), .md "
                 "(Markdown) or .json, as `mxscan report` does");
  app.add_option("--remove-after", args.remove_after,
                 "an enforce entry failing in each of its last N validations is a removal "
                 "candidate (3)");
  app.add_option("--notify-dir", args.notify_dir,
                 "write one RFC 5322 message per newly failing entry into DIR, for sendmail -t");
  app.add_option("--notify-from", args.notify_from,
                 "sender of the notices (postmaster@ the --ehlo name)");
  app.add_flag("--resume", args.resume,
               "finish the unfinished validation of the same list and options in --db");
}

int run_validate(const ScanOptions& options, const ValidateArgs& args) {
  const auto from = args.notify_from.empty() ? default_from(options) : args.notify_from;
  if (!check_outputs(args, from)) {
    return exit_usage;
  }
  const auto list = load_list("validate", args.list);
  if (!list) {
    return exit_usage;
  }

  StoredRunRequest request;
  request.command = "validate";
  request.db = args.db;
  request.info.kind = "validate";
  request.info.list_author = list->author;
  request.info.list_version = list->timestamp;
  for (const auto& [domain, entry] : list->policies) {
    request.domains.push_back(domain);
    request.policies.emplace_back(judge::ListPolicy{entry.policy.mode, entry.policy.mxs});
    request.policy_aliases.push_back(entry.alias.value_or(""));
  }
  request.info.input_digest = input_digest(*list, request.policies, request.domains);
  // The categories are recorded in the transaction that marks the run complete: a complete
  // validation without them would be the next one's "previous", with every category wrong.
  request.on_complete = [](store::Database& db, std::int64_t run) {
    store::record_validation(db, run);
  };
  request.resume = args.resume;
  std::cerr << fmt::format("mxscan validate: {} entries of the list by \"{}\" dated {}\n",
                           request.domains.size(), list->author, list->timestamp);
  const auto stored = run_stored(options, std::move(request));
  if (stored.exit_code != 0) {
    return stored.exit_code;
  }

  try {
    const auto db = store::open_for_reading(args.db);
    const auto report = reports::load_validation_report(db, stored.run, args.remove_after);
    auto& summary = options.json ? std::cerr : std::cout;
    if (options.json) {
      for (const auto& row : report.rows) {
        std::cout << boost::json::serialize(reports::validation_json(row, args.remove_after))
                  << '\n';
      }
      std::cout.flush();
    }
    summary << reports::validation_text(report);
    summary.flush();
    if (!args.report.empty()) {
      reports::ReportOptions report_options;
      report_options.remove_after = args.remove_after;
      list::write_file_atomically(
          args.report,
          reports::render_report(reports::load_run_report(db, stored.run, report_options),
                                 *reports::report_format_of(args.report)));
      std::cerr << fmt::format("mxscan validate: report written to {}\n", args.report);
    }
    if (!args.notify_dir.empty()) {
      write_notices(args, from, report, db);
    }
  } catch (const store::StoreError& e) {
    std::cerr << fmt::format("mxscan validate: {}\n", e.what());
    return exit_usage;
  } catch (const std::runtime_error& e) {
    std::cerr << fmt::format("mxscan validate: {}\n", e.what());
    return exit_usage;
  }
  return exit_code_of(args.db, stored.run);
}

}  // namespace mx::cli
