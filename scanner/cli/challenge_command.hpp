#pragma once
// `mxscan challenge new|verify|list`: emergency change requests to the list (leave it, or change
// the patterns), authenticated by a TXT record that the domain publishes at
// _starttls-policy.<domain>, so that a domain moving providers need not be trusted by e-mail.
//
//   new DOMAIN --action remove|update [--mxs P,...] [--ttl-days N] --db FILE [--json]
//     records a pending request with a fresh token (256 bits from RAND_bytes, lowercase hex) and
//     prints the record to publish. A domain's older pending requests become superseded.
//     Exit 0; 2 for a bad domain, action or pattern, or an unusable database (nothing written).
//   verify DOMAIN --db FILE [scan options]
//     one fresh TXT query through mxscan's resolver; the domain's newest pending request becomes
//     verified when one record there equals its value. Exit 0 verified; 1 absent, mismatched or
//     expired (recorded); 3 undetermined (timeout, SERVFAIL, REFUSED, ...); 2 no pending request,
//     a bad domain, or a missing database.
//   list --db FILE [--json]
//     every request with its outcome, oldest first: the audit trail. Exit 0; 2 without database.
//
// The record's value is exactly `v=STARTTLS-POLICY1; action=<remove|update>; token=<token>`,
// published as one TXT record; a record matches when its character-strings, joined and with
// surrounding whitespace removed, equal it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/App.hpp>

#include "scanner/cli/challenge_record.hpp"  // the record's name, value, match and display
#include "scanner/cli/scan_options.hpp"

namespace mx::cli {

struct ChallengeArgs {
  enum class Command : std::uint8_t { none, create, verify, list };
  Command command = Command::none;
  std::string domain;
  std::string db;
  std::string action;            // new
  std::vector<std::string> mxs;  // new: as typed
  unsigned ttl_days = 7;         // new
  bool json = false;             // new and list; verify takes --json from the scan options
};

// Adds `new`, `verify` and `list` to `app` (the `challenge` command); `args` and `scan_options`
// must outlive it.
void add_challenge_arguments(CLI::App& app, ChallengeArgs& args, ScanOptions& scan_options);
int run_challenge(const ScanOptions& scan_options, const ChallengeArgs& args);

}  // namespace mx::cli
