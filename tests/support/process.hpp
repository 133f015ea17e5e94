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

// A program running in the background, its output going to files in `dir` (out.txt, err.txt).
// The destructor kills it (SIGKILL) if it still runs.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& dir);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Does nothing once the child was reaped: its pid may belong to another process by then.
  void signal(int signo) const;
  // Waits at most `limit`; the exit code, or -1 when killed by a signal or still running. Once
  // reaped, returns the same result at once.
  int wait(std::chrono::milliseconds limit);
  [[nodiscard]] std::string err() const;

 private:
  int pid_ = -1;
  std::string dir_;
  bool reaped_ = false;
  int exit_code_ = -1;  // once reaped
};

}  // namespace mx::test
