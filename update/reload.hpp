#pragma once
// The operator's reload command (`--reload CMD`), run once a new configuration is in place.

#include <string>

namespace mx::update {

struct ReloadResult {
  bool ok = false;
  std::string failure;  // why not: "exit status 1", "killed by signal 9", "cannot run /bin/sh: ..."
};

// Runs `/bin/sh -c command` and waits for it. The command is the operator's own argument and
// nothing of the list reaches it (no argument, no environment variable). Its standard output goes
// to our standard error, so that stdout stays the update's one summary line; stdin is /dev/null.
[[nodiscard]] ReloadResult run_reload(const std::string& command);

}  // namespace mx::update
