#include "update/reload.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace mx::update {

ReloadResult run_reload(const std::string& command) {
  std::string shell = "/bin/sh";
  std::string dash_c = "-c";
  std::string script = command;
  std::array<char*, 4> argv{shell.data(), dash_c.data(), script.data(), nullptr};
  posix_spawn_file_actions_t actions;
  if (posix_spawn_file_actions_init(&actions) != 0) {
    return {.ok = false, .failure = "cannot run /bin/sh: out of memory"};
  }
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, shell.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return {.ok = false, .failure = std::string("cannot run /bin/sh: ") + std::strerror(spawned)};
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return {.ok = false, .failure = std::string("cannot wait for it: ") + std::strerror(errno)};
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    return {.ok = true, .failure = {}};
  }
  if (WIFSIGNALED(status)) {
    return {.ok = false, .failure = "killed by signal " + std::to_string(WTERMSIG(status))};
  }
  return {.ok = false, .failure = "exit status " + std::to_string(WEXITSTATUS(status))};
}

}  // namespace mx::update
