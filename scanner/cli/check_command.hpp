#pragma once
// `mxscan check [OPTIONS] DOMAIN...`: observes and judges each domain now and prints the
// CONTRACT.md domain object (JSON Lines with --json, a report otherwise), in input order.

#include <string>
#include <vector>

#include <CLI/App.hpp>

#include "scanner/cli/scan_options.hpp"

namespace mx::cli {

struct CheckArgs {
  std::vector<std::string> domains;
};

void add_check_arguments(CLI::App& app, CheckArgs& args);
int run_check(const ScanOptions& options, const CheckArgs& args);

}  // namespace mx::cli
