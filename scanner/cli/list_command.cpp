#include "scanner/cli/list_command.hpp"

#include <iostream>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

#include "list/list_diff.hpp"
#include "list/policy_list.hpp"
#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/list_publish_command.hpp"
#include "scanner/cli/list_update_command.hpp"

namespace mx::cli {
namespace {

// The list in `path`, or nullopt after printing every problem it has.
std::optional<list::PolicyList> read_or_report(const std::string& path) {
  auto read = list::read_list_file(path);
  for (const auto& problem : read.problems) {
    std::cerr << fmt::format("{}: {}: {}\n", path, problem.path, problem.reason);
  }
  return std::move(read.list);
}

}  // namespace

CLI::App* add_list_commands(CLI::App& app, ListArgs& args) {
  auto* list = app.add_subcommand("list", "publish the STARTTLS policy list");
  list->require_subcommand(1);

  auto* diff = list->add_subcommand("diff", "what changed between two policy lists");
  diff->add_option("old", args.diff.before, "the earlier list")->required()->type_name("OLD.json");
  diff->add_option("new", args.diff.after, "the later list")->required()->type_name("NEW.json");
  diff->add_flag("--json", args.diff.json,
                 "JSON Lines, one object per changed domain (the summary goes to stderr)");
  add_list_publish_commands(*list);  // sign, verify, render
  add_list_update_command(*list);
  return list;
}

int run_list(const CLI::App& list, const ListArgs& args) {
  if (list.got_subcommand("diff")) {
    return run_list_diff(args.diff);
  }
  if (const auto code = run_list_publish(list)) {
    return *code;
  }
  if (const auto code = run_list_update(list)) {
    return *code;
  }
  return exit_usage;  // require_subcommand(1) makes this unreachable
}

int run_list_diff(const ListDiffArgs& args) {
  // Both lists are read before giving up, so that one run reports every problem of both.
  const auto before = read_or_report(args.before);
  const auto after = read_or_report(args.after);
  if (!before || !after) {
    return exit_usage;
  }
  const auto diff = list::diff_lists(*before, *after);
  if (args.json) {
    for (const auto& change : diff.changes) {
      std::cout << boost::json::serialize(list::change_json(change)) << '\n';
    }
    std::cerr << "mxscan list diff: " << list::diff_summary(diff) << '\n';
  } else {
    std::cout << list::diff_text(diff);
  }
  std::cout.flush();
  return exit_pass;
}

}  // namespace mx::cli
