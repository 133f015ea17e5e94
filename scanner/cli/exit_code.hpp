#pragma once
// Process exit codes (CONTRACT.md "Exit codes").

namespace mx::cli {

enum ExitCode : int {
  exit_pass = 0,   // every domain pass or warn
  exit_fail = 1,   // some domain fail
  exit_usage = 2,  // bad usage or unreadable input; nothing written
  exit_error = 3,  // no fail, some error (undetermined)
};

}  // namespace mx::cli
