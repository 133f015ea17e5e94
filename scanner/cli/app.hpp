#pragma once
// The mxscan command line: parses, dispatches to a command, returns the process exit code
// (CONTRACT.md: 0 pass/warn, 1 some fail, 3 some error, 2 bad usage or unreadable input).

namespace mx::cli {

int run(int argc, char** argv);

}  // namespace mx::cli
