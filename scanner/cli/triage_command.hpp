#pragma once
// `mxscan triage --queue FILE --list POLICY.json --db FILE [--out NEW.json] [--json]
// [--promote-after DAYS] [--expires-days N] [--timestamp TIME] [--resume] [OPTIONS]`: backlog
// triage (CONTRACT.md "Nightly validation and triage"). Each valid, unlisted submission is
// scanned fresh in a `triage` run and judged against its submitted patterns, or, when it gave
// none, against the patterns suggested from the MX hosts seen; each queue line gets a decision
// (accept, reject, retry, listed, invalid) recorded in the database; testing entries clean long
// enough are proposed for promotion; verified emergency requests (`mxscan challenge`) are listed
// and, with --out, applied. --out writes the new list (old entries, accepted ones in testing,
// promoted ones in enforce, emergency changes made), deterministically and atomically, and
// records the contacts of the admitted domains.

#include <string>

#include <CLI/App.hpp>

#include "scanner/cli/scan_options.hpp"

namespace mx::cli {

struct TriageArgs {
  std::string queue;
  std::string list;
  std::string db;
  std::string out;
  int promote_after_days = 28;
  int expires_days = 14;
  std::string timestamp;  // the new list's; empty: now
  bool resume = false;
};

void add_triage_arguments(CLI::App& app, TriageArgs& args);
int run_triage(const ScanOptions& options, const TriageArgs& args);

}  // namespace mx::cli
