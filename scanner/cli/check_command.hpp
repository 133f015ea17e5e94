#pragma once
// `mxscan check [OPTIONS] DOMAIN...`: observes and judges each domain now and prints the
// CONTRACT.md domain object (JSON Lines with --json, a report otherwise), in input order. With
// --policy-mxs, each domain is also judged against that list entry (`policy.mx-pattern`).

#include <string>
#include <vector>

#include <CLI/App.hpp>

#include "scanner/cli/scan_options.hpp"

namespace mx::cli {

struct CheckArgs {
  std::vector<std::string> domains;
  // A list entry to judge every domain against (CONTRACT.md `check --policy-mxs`).
  std::vector<std::string> policy_mxs;
  std::string policy_mode = "testing";
};

void add_check_arguments(CLI::App& app, CheckArgs& args);
int run_check(const ScanOptions& options, const CheckArgs& args);

}  // namespace mx::cli
