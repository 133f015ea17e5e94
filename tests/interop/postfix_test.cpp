// Interoperability with a real MTA: a private instance of Debian 12's Postfix (3.7) on a loopback
// address, found through the test world's DNS and certified by its PKI, judged by `mxscan check`.
// Needs the postfix package (scripts/install-deps.sh) and root: Postfix's master runs as root and
// its daemons drop to the postfix user.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/background_dns.hpp"
#include "tests/support/interop.hpp"
#include "tests/support/process.hpp"
#include "tests/world/dns_zone.hpp"
#include "tests/world/pki.hpp"

extern char** environ;

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using mx::test::BackgroundDns;
using mx::test::interop::accepts_connections;
using mx::test::interop::free_port;
using mx::test::interop::read_file;
using mx::test::interop::TempDir;
using mx::test::interop::write_file;

const std::string postfix_command = "/usr/sbin/postfix";
const std::string domain = "interop.test";
const std::string mx_host = "mx.interop.test";
const std::string mx_ip = "127.0.0.44";

struct PostfixConfig {
  fs::path dir;  // holds etc/ (main.cf, master.cf), queue/, data/ and the logs
  std::string ip;
  std::uint16_t port = 0;
  std::string tls_security_level;  // "may" offers STARTTLS, "none" does not
  fs::path cert_file;              // leaf followed by the intermediate
  fs::path key_file;
};

// One run of a private Postfix: `postfix -c DIR/etc start-fg` as a child in its own process
// group. Only smtpd and the services it talks to while a client says EHLO and STARTTLS are
// configured; nothing is chrooted and nothing is delivered. The destructor stops every process of
// the instance, whatever the test's outcome.
class Postfix {
 public:
  explicit Postfix(const PostfixConfig& config)
      : etc_(config.dir / "etc"), queue_(config.dir / "queue"), config_(config) {
    fs::create_directories(etc_);
    // post-install (run by start-fg's checks) fills the queue directory and creates data/.
    fs::create_directories(queue_);
    write_file(etc_ / "main.cf", main_cf(config));
    write_file(etc_ / "master.cf", master_cf(config));
    // The master runs in its own session; when it exits, its daemons are orphaned. As their
    // subreaper this process can wait until each one has gone (the container's init reaps none).
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    child_ = spawn();
  }
  ~Postfix() { stop(); }
  Postfix(const Postfix&) = delete;
  Postfix& operator=(const Postfix&) = delete;

  // Whether smtpd's port accepts connections within `limit`; false as soon as start-fg gives up.
  bool wait_ready(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (accepts_connections(config_.ip, config_.port)) {
        return true;
      }
      int status = 0;
      if (waitpid(child_, &status, WNOHANG) == child_) {
        child_running_ = false;
        start_status_ = status;
        return false;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // What Postfix and its start script said: the maillog, then start-fg's own output.
  [[nodiscard]] std::string logs() const {
    return read_file(config_.dir / "maillog") + read_file(config_.dir / "start-fg.out");
  }

  // Why the instance did not start. Postfix reports a bad main.cf that it meets before opening
  // its log on a terminal only, hence the configuration.
  [[nodiscard]] std::string start_failure() const {
    std::ostringstream text;
    text << "postfix start-fg ";
    if (child_running_) {
      text << "still running, port " << config_.ip << ":" << config_.port << " closed";
    } else if (WIFEXITED(start_status_)) {
      text << "exited with status " << WEXITSTATUS(start_status_);
    } else {
      text << "killed by signal " << WTERMSIG(start_status_);
    }
    text << "\n--- log:\n"
         << logs() << "--- main.cf:\n"
         << read_file(etc_ / "main.cf") << "--- master.cf:\n"
         << read_file(etc_ / "master.cf")
         << "(`postfix -c DIR check` on a terminal shows errors that precede the log)";
    return text.str();
  }

 private:
  static std::string main_cf(const PostfixConfig& config) {
    const auto dir = config.dir.string();
    std::ostringstream cf;
    cf << "compatibility_level = 3.6\n"
       << "queue_directory = " << dir << "/queue\n"
       << "data_directory = " << dir << "/data\n"
       << "mail_owner = postfix\n"
       << "setgid_group = postdrop\n"
       // Postfix refuses an inet_interfaces address that no interface carries, and 127.0.0.44
       // is only routed to lo; smtpd's address is set on its master.cf line instead.
       << "inet_interfaces = loopback-only\n"
       << "inet_protocols = ipv4\n"
       << "myhostname = " << mx_host << "\n"
       << "mydestination =\n"
       // The default asks the proxymap service, which this instance does not run.
       << "local_recipient_maps =\n"
       << "maillog_file = " << dir << "/maillog\n"
       << "maillog_file_prefixes = " << dir << "\n"
       << "smtpd_tls_cert_file = " << config.cert_file.string() << "\n"
       << "smtpd_tls_key_file = " << config.key_file.string() << "\n"
       << "smtpd_tls_security_level = " << config.tls_security_level << "\n";
    return cf.str();
  }

  static std::string master_cf(const PostfixConfig& config) {
    std::ostringstream cf;
    // service type private unpriv chroot wakeup maxproc command
    cf << config.ip << ":" << config.port << " inet n - n - - smtpd\n"
       << "tlsmgr unix - - n 1000? 1 tlsmgr\n"
       << "anvil unix - - n - 1 anvil\n"
       << "postlog unix-dgram n - n - 1 postlogd\n";
    return cf.str();
  }

  pid_t spawn() {
    const auto out = (config_.dir / "start-fg.out").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    const auto etc = etc_.string();
    std::vector<std::string> argv{postfix_command, "-c", etc, "start-fg"};
    std::vector<char*> args;
    for (auto& arg : argv) {
      args.push_back(arg.data());
    }
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc =
        posix_spawn(&pid, postfix_command.c_str(), &actions, &attributes, args.data(), environ);
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      throw std::system_error(rc, std::generic_category(), "posix_spawn " + postfix_command);
    }
    return pid;
  }

  [[nodiscard]] std::optional<pid_t> master_pid() const {
    std::ifstream in(queue_ / "pid" / "master.pid");
    long pid = 0;
    if (in >> pid && pid > 1) {
      return static_cast<pid_t>(pid);
    }
    return std::nullopt;
  }

  // The master leads its own process group (daemons included); the child leads the start
  // script's group.
  void signal_all(int signal_number) const {
    if (const auto master = master_pid()) {
      kill(-*master, signal_number);
    }
    if (child_running_) {
      kill(-child_, signal_number);
    }
  }

  // Reaps the child and every orphaned daemon; true once none is left.
  static bool reap_all(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      int status = 0;
      const pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid > 0) {
        continue;
      }
      if (pid < 0 && errno == ECHILD) {
        return true;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        return false;
      }
      std::this_thread::sleep_for(10ms);
    }
  }

  void stop() {
    signal_all(SIGTERM);
    if (!reap_all(5s)) {
      signal_all(SIGKILL);
      reap_all(5s);
    }
    child_running_ = false;
    // A restart in the same directory must never signal this master's recycled pid.
    std::error_code ignored;
    fs::remove(queue_ / "pid" / "master.pid", ignored);
  }

  fs::path etc_;
  fs::path queue_;
  PostfixConfig config_;
  pid_t child_ = -1;
  bool child_running_ = true;
  int start_status_ = 0;  // of start-fg, once it has exited
};

// The (status, code) of `name` in a checks array, or ("missing", "").
std::pair<std::string, std::string> find_check(const json::value& checks, const std::string& name) {
  for (const auto& check : checks.as_array()) {
    if (check.at("check").as_string() == name) {
      return {std::string(check.at("status").as_string()),
              std::string(check.at("code").as_string())};
    }
  }
  return {"missing", ""};
}

using StatusCode = std::pair<std::string, std::string>;

mx::test::ProcessResult mxscan_check(const BackgroundDns& dns, const mx::world::Pki& pki,
                                     std::uint16_t port) {
  return mx::test::run_process({MXSCAN_BINARY, "check", "--json", "--allow-private", "--resolver",
                                dns.resolver(), "--ca-file", pki.trust_file().string(),
                                "--smtp-port", std::to_string(port), "--timeout", "5", domain},
                               30s);
}

}  // namespace

TEST_CASE("mxscan check judges a real Postfix, with STARTTLS and then without", "[interop]") {
  if (!fs::exists(postfix_command)) {
    FAIL(postfix_command << " is missing: install Debian's postfix package with "
                            "scripts/install-deps.sh (it starts no system instance)");
  }
  if (geteuid() != 0) {
    FAIL("the Postfix interop test must run as root: Postfix's master daemon requires it");
  }

  TempDir dir;
  mx::world::Pki pki(dir.path() / "pki");
  mx::world::LeafSpec spec;
  spec.dns_names = {mx_host};
  const auto leaf = pki.issue(spec, "mx");
  mx::world::Zone zone;
  zone.add_mx(domain, 10, mx_host);
  zone.add_a(mx_host, mx_ip);
  BackgroundDns dns(std::move(zone));

  PostfixConfig config{.dir = dir.path() / "postfix",
                       .ip = mx_ip,
                       .port = free_port(mx_ip),
                       .tls_security_level = "may",
                       .cert_file = leaf.chain_file,
                       .key_file = leaf.key_file};
  std::optional<Postfix> postfix;
  postfix.emplace(config);
  if (!postfix->wait_ready(15s)) {
    FAIL("Postfix did not start: " << postfix->start_failure());
  }
  {
    const auto result = mxscan_check(dns, pki, config.port);
    INFO("mxscan stderr:\n"
         << result.err << "\nmxscan stdout:\n"
         << result.out << "\nPostfix log:\n"
         << postfix->logs());
    REQUIRE_FALSE(result.timed_out);
    CHECK(result.exit_code == 0);
    const auto report = json::parse(result.out).as_object();
    CHECK(report.at("domain").as_string() == domain);
    // warn, not pass: the test zone publishes no MTA-STS and no TLSRPT record.
    CHECK(report.at("status").as_string() == "warn");
    const auto& mx = report.at("mx").as_array();
    REQUIRE(mx.size() == 1);
    CHECK(mx[0].at("host").as_string() == mx_host);
    const auto& checks = mx[0].at("checks");
    CHECK(find_check(checks, "connect") == StatusCode{"pass", "ok"});
    CHECK(find_check(checks, "smtp") == StatusCode{"pass", "ok"});
    CHECK(find_check(checks, "starttls") == StatusCode{"pass", "ok"});
    CHECK(find_check(checks, "tls") == StatusCode{"pass", "ok"});
    CHECK(find_check(checks, "certificate") == StatusCode{"pass", "ok"});
    const auto& addresses = mx[0].at("addresses").as_array();
    REQUIRE(addresses.size() == 1);
    const auto& address = addresses[0].as_object();
    CHECK(address.at("ip").as_string() == mx_ip);
    CHECK(address.at("tls").at("version").as_string() == "TLSv1.3");
    CHECK(address.at("certificate").at("san").as_array() == json::array{json::string(mx_host)});
  }

  // Restarted without STARTTLS, on a fresh port so no socket of the first run can answer.
  postfix.reset();
  config.tls_security_level = "none";
  config.port = free_port(mx_ip);
  postfix.emplace(config);
  if (!postfix->wait_ready(15s)) {
    FAIL("Postfix did not restart: " << postfix->start_failure());
  }
  {
    const auto result = mxscan_check(dns, pki, config.port);
    INFO("mxscan stderr:\n"
         << result.err << "\nmxscan stdout:\n"
         << result.out << "\nPostfix log:\n"
         << postfix->logs());
    REQUIRE_FALSE(result.timed_out);
    CHECK(result.exit_code == 1);
    const auto report = json::parse(result.out).as_object();
    CHECK(report.at("status").as_string() == "fail");
    const auto& mx = report.at("mx").as_array();
    REQUIRE(mx.size() == 1);
    CHECK(find_check(mx[0].at("checks"), "smtp") == StatusCode{"pass", "ok"});
    CHECK(find_check(mx[0].at("checks"), "starttls") == StatusCode{"fail", "not-advertised"});
  }
}
