#include "scanner/cli/report_command.hpp"

#include <iostream>
#include <stdexcept>

#include <fmt/format.h>

#include "list/atomic_file.hpp"
#include "reports/report_format.hpp"
#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/run_choice.hpp"
#include "store/schema.hpp"

namespace mx::cli {

void add_report_arguments(CLI::App& app, ReportArgs& args) {
  app.add_option("--db", args.db, "database holding the run")->required()->check(CLI::ExistingFile);
  app.add_option("--run", args.run, "run to report (default: the newest complete run)")
      ->check(CLI::PositiveNumber);
  app.add_option("--format", args.format,
                 "html (one self-contained page), md (Markdown) or json; default: --out's "
                 "extension, else html")
      ->check(CLI::IsMember({"html", "md", "json"}));
  app.add_option("--out", args.out, "write to FILE, whole or not at all (default: stdout)");
  app.add_option("--remove-after", args.remove_after,
                 "validations: an enforce entry failing in each of its last N validations is a "
                 "removal candidate (3)")
      ->check(CLI::PositiveNumber);
  app.add_option("--max-rows", args.max_rows,
                 "rows of a scan's failing and undetermined tables, by name; 0: all (1000)");
}

int run_report(const ReportArgs& args) {
  auto format = reports::parse_report_format(args.format);
  if (!format && !args.out.empty()) {
    format = reports::report_format_of(args.out);
    if (!format) {
      std::cerr << fmt::format(
          "mxscan report: --out {}: give --format html|md|json, or a file ending in .html, .md "
          "or .json\n",
          args.out);
      return exit_usage;
    }
  }
  try {
    const auto db = store::open_for_reading(args.db);
    const auto run = choose_run(db, args.run, "report");
    if (!run) {
      return exit_usage;
    }
    reports::ReportOptions options;
    options.remove_after = args.remove_after;
    options.max_rows = args.max_rows;
    const auto text = reports::render_report(reports::load_run_report(db, *run, options),
                                             format.value_or(reports::ReportFormat::html));
    if (args.out.empty()) {
      std::cout << text;
      std::cout.flush();
    } else {
      list::write_file_atomically(args.out, text);
      std::cerr << fmt::format("mxscan report: run {} written to {}\n", *run, args.out);
    }
    return exit_pass;
  } catch (const std::runtime_error& e) {  // the store's errors, an unwritable --out
    std::cerr << fmt::format("mxscan report: {}\n", e.what());
    return exit_usage;
  }
}

}  // namespace mx::cli
