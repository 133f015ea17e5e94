#pragma once
// `mxscan list update`: the operators' update channel (update/update.hpp does the work).
//
//   mxscan list update --url URL --key FINGERPRINT --state DIR [--keyring FILE]
//     [--signature-url URL] [--render FORMAT --out FILE [--reload CMD]]
//     [--ca-file PEM] [--resolver IP[:PORT]]... [--allow-private] [--timeout S]
//
// Prints one line saying what happened (updated from T1 to T2, unchanged, refused: why), and on
// stderr every reason for a refusal or failure. Exit codes: 0 updated or unchanged; 1 refused or
// failed, everything held and rendered left as it was, or the held list has expired and was
// rendered as the fallback that enforces nothing; 2 bad usage (a malformed URL or fingerprint, an
// unreadable --keyring or --ca-file, --out without --render, a keyring with no key), nothing
// fetched or written.

#include <optional>

#include <CLI/App.hpp>

namespace mx::cli {

// Adds `update` to `list`; the subcommand owns its parsed arguments.
void add_list_update_command(CLI::App& list);

// The exit code of `update` when it was parsed under `list`, else nullopt.
[[nodiscard]] std::optional<int> run_list_update(const CLI::App& list);

}  // namespace mx::cli
