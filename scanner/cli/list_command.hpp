#pragma once
// `mxscan list SUBCOMMAND ...`: the STARTTLS policy list's publishing tools (CONTRACT.md). Built:
// `list diff OLD.json NEW.json [--json]`, what changed between two lists, domain by domain. Each
// subcommand keeps its arguments in ListArgs and is a sibling under `list`.

#include <string>

#include <CLI/App.hpp>

namespace mx::cli {

struct ListDiffArgs {
  std::string before;
  std::string after;
  bool json = false;
};

struct ListArgs {
  ListDiffArgs diff;
};

// Adds `list` and its subcommands to `app`; returns `list`, which requires one of them.
CLI::App* add_list_commands(CLI::App& app, ListArgs& args);

// Runs the subcommand of `list` that was parsed.
int run_list(const CLI::App& list, const ListArgs& args);

// Exit 0 when the diff was printed (whatever it holds); 2 when a list is unreadable or malformed,
// with every problem on stderr as "FILE: PATH: reason".
int run_list_diff(const ListDiffArgs& args);

}  // namespace mx::cli
