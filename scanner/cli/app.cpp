#include "scanner/cli/app.hpp"

#include <exception>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "scanner/cli/challenge_command.hpp"
#include "scanner/cli/check_command.hpp"
#include "scanner/cli/diff_command.hpp"
#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/list_command.hpp"
#include "scanner/cli/report_command.hpp"
#include "scanner/cli/resolve_command.hpp"
#include "scanner/cli/scan_command.hpp"
#include "scanner/cli/scan_options.hpp"
#include "scanner/cli/stats_command.hpp"
#include "scanner/cli/store_commands.hpp"
#include "scanner/cli/triage_command.hpp"
#include "scanner/cli/validate_command.hpp"
#include "scanner/cli/version.hpp"

namespace mx::cli {
namespace {

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"mxscan: validate mail domains' STARTTLS, certificates, MTA-STS, TLSRPT and DANE",
               "mxscan"};
  app.set_version_flag("--version", std::string("mxscan ") + kVersion);
  app.require_subcommand(1);
  app.fallthrough(false);

  ScanOptions scan_options;
  ResolveArgs resolve_args;
  std::vector<Command> commands;
  CheckArgs check_args;
  {
    auto* sub = app.add_subcommand("check", "probe domains now and print a report");
    add_scan_options(*sub, scan_options);
    add_check_arguments(*sub, check_args);
    commands.push_back({sub, [&] { return run_check(scan_options, check_args); }});
  }
  ScanArgs scan_args;
  {
    auto* sub = app.add_subcommand("scan", "bulk scan of a domain list into SQLite");
    add_scan_options(*sub, scan_options);
    add_scan_arguments(*sub, scan_args);
    commands.push_back({sub, [&] { return run_scan(scan_options, scan_args); }});
  }
  ValidateArgs validate_args;
  {
    auto* sub = app.add_subcommand("validate", "nightly validation of a STARTTLS policy list");
    add_scan_options(*sub, scan_options);
    add_validate_arguments(*sub, validate_args);
    commands.push_back({sub, [&] { return run_validate(scan_options, validate_args); }});
  }
  TriageArgs triage_args;
  {
    auto* sub = app.add_subcommand("triage", "judge a queue of submissions to the list");
    add_scan_options(*sub, scan_options);
    add_triage_arguments(*sub, triage_args);
    commands.push_back({sub, [&] { return run_triage(scan_options, triage_args); }});
  }
  ExportArgs export_args;
  {
    auto* sub = app.add_subcommand("export", "export a stored run as CSV or JSON Lines");
    add_export_arguments(*sub, export_args);
    commands.push_back({sub, [&] { return run_export(export_args); }});
  }
  StatsArgs stats_args;
  {
    auto* sub = app.add_subcommand("stats", "aggregates of a stored run, or two side by side");
    add_stats_arguments(*sub, stats_args);
    commands.push_back({sub, [&] { return run_stats(stats_args); }});
  }
  MergeArgs merge_args;
  {
    auto* sub = app.add_subcommand("merge", "combine shard databases into one run");
    add_merge_arguments(*sub, merge_args);
    commands.push_back({sub, [&] { return run_merge(merge_args); }});
  }
  DiffArgs diff_args;
  {
    auto* sub = app.add_subcommand("diff", "what changed between two stored runs");
    add_diff_arguments(*sub, diff_args);
    commands.push_back({sub, [&] { return run_diff(diff_args); }});
  }
  ListArgs list_args;
  {
    auto* sub = add_list_commands(app, list_args);
    commands.push_back({sub, [&list_args, sub] { return run_list(*sub, list_args); }});
  }
  ReportArgs report_args;
  {
    auto* sub = app.add_subcommand("report", "render a stored run as HTML, Markdown or JSON");
    add_report_arguments(*sub, report_args);
    commands.push_back({sub, [&] { return run_report(report_args); }});
  }
  {
    auto* sub = app.add_subcommand(
        "resolve", "show what mxscan's resolver sees for domains: MX, addresses, TLSA, TXT");
    add_scan_options(*sub, scan_options);
    add_resolve_arguments(*sub, resolve_args);
    commands.push_back({sub, [&] { return run_resolve(scan_options, resolve_args); }});
  }
  ChallengeArgs challenge_args;
  {
    auto* sub = app.add_subcommand(
        "challenge", "emergency change requests authenticated by a TXT record: new, verify, list");
    add_challenge_arguments(*sub, challenge_args, scan_options);
    commands.push_back({sub, [&] { return run_challenge(scan_options, challenge_args); }});
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_usage;
  }

  for (const auto& command : commands) {
    if (command.app->parsed()) {
      return command.run();
    }
  }
  return exit_usage;  // require_subcommand(1) makes this unreachable
}

}  // namespace mx::cli
