// The progress line's promise: a domain it counts as done is in the database, whenever mxscan
// dies. mxscan prints that line only to a terminal, so the scan runs on a pseudo-terminal here,
// and is killed (SIGKILL) right after a line counting some domains done.
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "tests/support/loopback_world.hpp"

namespace {

using mx::test::World;
using namespace std::chrono_literals;

// A child on a pseudo-terminal (its stdout and stderr), killed and reaped by the destructor.
class TerminalChild {
 public:
  explicit TerminalChild(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& arg : argv) {
      args.push_back(const_cast<char*>(arg.c_str()));  // NOLINT: execv's signature
    }
    args.push_back(nullptr);
    pid_ = forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~TerminalChild() {
    kill_and_reap();
    if (master_ >= 0) {
      close(master_);
    }
  }
  TerminalChild(const TerminalChild&) = delete;
  TerminalChild& operator=(const TerminalChild&) = delete;

  [[nodiscard]] bool started() const { return pid_ > 0; }

  // What the terminal showed within `limit`, read until `enough(text so far)` holds or the child
  // closes the terminal. Returns whether `enough` held.
  template <typename Enough>
  bool read_until(std::string& text, std::chrono::milliseconds limit, Enough enough) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!enough(text)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) {
        return false;
      }
      pollfd p{.fd = master_, .events = POLLIN, .revents = 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        continue;
      }
      char buffer[4096];
      const ssize_t n = read(master_, buffer, sizeof buffer);
      if (n <= 0) {
        return enough(text);  // EIO: the child closed the terminal
      }
      text.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
  }

  void kill_and_reap() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

 private:
  int master_ = -1;
  pid_t pid_ = -1;
};

// The "N/M domains" counts of every progress line in `text`.
std::vector<long> counted_done(const std::string& text) {
  static const std::regex line(R"((\d+)/(\d+) domains, )");
  std::vector<long> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), line); it != std::sregex_iterator();
       ++it) {
    out.push_back(std::stol((*it)[1].str()));
  }
  return out;
}

long stored_domains(const std::string& db_path) {
  const auto db = mx::store::open_for_reading(db_path);
  auto statement = db.prepare("SELECT count(*) FROM domains");
  statement.step();
  return static_cast<long>(statement.column_int(0));
}

}  // namespace

TEST_CASE("mxscan scan: every domain the progress line counts as done survives kill -9",
          "[loopback]") {
  World world;
  const auto input = (world.dir() / "input.txt").string();
  {
    std::ofstream out(input);
    for (int i = 0; i < 200; ++i) {
      const auto domain = "p" + std::to_string(i) + ".test";
      auto behaviour = world.tls_behaviour("mx." + domain);
      behaviour.greeting.delay = 40ms;
      world.add_domain(domain, behaviour);
      out << domain << '\n';
    }
  }
  world.start();
  const auto db = (world.dir() / "scan.db").string();
  std::vector<std::string> argv{MXSCAN_BINARY, "scan", "--input", input, "--db", db};
  const auto options = world.world_options();
  argv.insert(argv.end(), options.begin(), options.end());
  // Slow enough that progress lines (one a second) come while domains are still being written.
  argv.insert(argv.end(), {"--allow-private", "--concurrency", "6", "--threads", "2"});

  TerminalChild scan(argv);
  REQUIRE(scan.started());
  std::string shown;
  const bool counted = scan.read_until(shown, 60s, [](const std::string& text) {
    const auto done = counted_done(text);
    return !done.empty() && done.back() >= 10;
  });
  scan.kill_and_reap();
  INFO(shown);
  REQUIRE(counted);
  const auto done = counted_done(shown);
  CHECK(done.back() < 200);  // killed mid-run: the claim is about a run that did not finish
  CHECK(stored_domains(db) >= done.back());
}
