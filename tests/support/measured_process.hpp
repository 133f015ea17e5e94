#pragma once
// Runs a program to completion with its standard output sent to a file (/dev/null, /dev/full),
// and reports its exit code, its standard error and its peak resident set size, read by wait4()
// for that child alone (RUSAGE_CHILDREN would give the largest of every child the test reaped).

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace mx::test {

struct MeasuredRun {
  int exit_code = -1;  // -1 when killed by a signal
  long max_rss_kb = 0;
  std::string err;
  bool timed_out = false;  // killed (SIGKILL) because it outlived the limit
};

// `environment` entries ("NAME=value") are added to this process's environment. A non-zero
// `limit` kills the child once it has passed, so that a hang fails the test instead of stalling it.
inline MeasuredRun run_measured(const std::vector<std::string>& argv, const std::string& out_path,
                                const std::filesystem::path& err_path,
                                const std::vector<std::string>& environment = {},
                                std::chrono::milliseconds limit = std::chrono::milliseconds{0}) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<char*> args;
  for (const auto& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  std::vector<std::string> env_storage(environment);
  for (char** entry = environ; *entry != nullptr; ++entry) {
    env_storage.emplace_back(*entry);
  }
  std::vector<char*> env;
  for (auto& entry : env_storage) {
    env.push_back(entry.data());
  }
  env.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    throw std::runtime_error("posix_spawn failed for " + argv[0]);
  }
  int status = 0;
  rusage usage{};
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  // Polled: wait4 itself has no timeout, and the child is no descriptor to wait on.
  while (limit.count() > 0 && !timed_out) {
    const pid_t reaped = wait4(pid, &status, WNOHANG, &usage);
    if (reaped == pid) {
      break;
    }
    if (reaped < 0 && errno != EINTR) {
      throw std::runtime_error("wait4 failed for " + argv[0]);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      timed_out = true;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
  }
  if (limit.count() == 0 || timed_out) {
    while (wait4(pid, &status, 0, &usage) < 0) {
      if (errno != EINTR) {
        throw std::runtime_error("wait4 failed for " + argv[0]);
      }
    }
  }
  MeasuredRun result;
  result.timed_out = timed_out;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.max_rss_kb = usage.ru_maxrss;
  std::ifstream in(err_path);
  result.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return result;
}

}  // namespace mx::test
