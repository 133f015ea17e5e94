#pragma once
// Runs a program to completion for end-to-end tests: its exit code and what it printed.

#include <chrono>
#include <string>
#include <vector>

namespace mx::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or the deadline
  std::string out;
  std::string err;
  bool timed_out = false;
};

// Runs argv[0] with argv, no stdin; kills it (SIGKILL) once `limit` has passed.
ProcessResult run_process(const std::vector<std::string>& argv,
                          std::chrono::milliseconds limit = std::chrono::seconds(60));

}  // namespace mx::test
