#pragma once
// `mxscan list sign|verify|render`: publishing the STARTTLS policy list (CONTRACT.md, issue 15).
// Siblings of `list diff` under `list` (list_command.cpp adds and runs them); the work is done by
// publish/ (signature.hpp, verify.hpp, render.hpp), which `list update` reuses.
//
//   mxscan list sign LIST.json [--key FINGERPRINT] [--out LIST.json.asc]
//   mxscan list verify LIST.json [--signature FILE] (--key FINGERPRINT | --keyring FILE)
//   mxscan list render LIST.json --format postfix|exim [--out FILE]
//
// Exit codes (CONTRACT.md "Exit codes"):
// - sign: 0 signed; 1 refused (the list has expired) or gpg failed; 2 bad usage, an unreadable
//   or malformed list (never signed), a --key that names no usable secret key.
// - verify: 0 accepted; 1 refused, with the reason: a missing, bad or unknown-key signature, a
//   key other than the pinned one, an expired or revoked key, a list that does not parse, a list
//   whose `expires` has passed; 2 bad usage, an unreadable list or keyring, a keyring with no key.
// - render: 0 rendered; 1 the list has expired: the fallback (nothing enforced) was rendered and
//   written all the same, and stderr says so; 2 bad usage, an unreadable or malformed list.

#include <chrono>
#include <optional>
#include <string>

#include <CLI/App.hpp>

namespace mx::cli {

struct ListSignArgs {
  std::string list;
  std::string key;  // empty: gpg's default secret key
  std::string out;  // empty: LIST.asc
};

struct ListVerifyArgs {
  std::string list;
  std::string signature;  // empty: LIST.asc
  std::string key;
  std::string keyring;
};

struct ListRenderArgs {
  std::string list;
  std::string format;
  std::string out;  // empty: stdout
};

// Adds `sign`, `verify` and `render` to `list`; each subcommand owns its parsed arguments.
void add_list_publish_commands(CLI::App& list);

// The exit code of whichever of `sign`, `verify` and `render` was parsed under `list`, or nullopt
// when none was.
[[nodiscard]] std::optional<int> run_list_publish(const CLI::App& list);

int run_list_sign(const ListSignArgs& args, std::chrono::system_clock::time_point now);
int run_list_verify(const ListVerifyArgs& args, std::chrono::system_clock::time_point now);
int run_list_render(const ListRenderArgs& args, std::chrono::system_clock::time_point now);

}  // namespace mx::cli
