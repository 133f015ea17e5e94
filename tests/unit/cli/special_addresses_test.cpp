// Special-purpose addresses end to end (CONTRACT.md: a real scan never touches loopback, private
// or other special-purpose addresses without --allow-private). For each class of address, a
// domain whose MX host, MTA-STS host and list publisher resolve to it, and a server on this
// machine wherever a connection to that address would arrive. Without --allow-private:
//   1. `mxscan check`: every address check is `address` error `forbidden`, its message naming the
//      address and its block, and no SMTP server counts a connection;
//   2. the same run: `mta-sts.policy` error `forbidden`, naming the host, the address and its
//      block, and no HTTPS server counts a connection;
//   3. `mxscan list update` from a URL whose host resolves there: refused before connecting,
//      exit 1, the reason naming the address and its block.
// With --allow-private the same runs do reach every server (and attempt every address), so the
// test fails if the world cannot show a contact.
//
// Evidence of non-contact, two kinds: the servers' accepted connections, and, where strace is
// installed, every connect(2) mxscan made (strace -f -e trace=connect): no connect to any of the
// addresses without --allow-private, a connect to each of them with it. The second covers what
// no server can listen on (multicast, broadcast, link-local without a scope).
//
// Which addresses a server can listen on: this machine has loopback (127.0.0.0/8, ::1, and 0.0.0.0
// and :: which Linux connects to loopback), so the first test runs here. The second re-runs this
// test binary in a network namespace of its own (unshare -rn: only a loopback interface, no route
// out), gives that interface the private, CGNAT, link-local, documentation, unique-local, NAT64,
// IPv4-compatible and 6to4 addresses too, and runs the whole check there; where user namespaces
// are not available it says so and is skipped.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/support/json_lines.hpp"
#include "tests/support/loopback_world.hpp"
#include "tests/support/process.hpp"
#include "tests/world/https_server.hpp"
#include "tests/world/pki.hpp"
#include "tests/world/smtp_server.hpp"
#include "tests/world/tls_listener.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using mx::test::ProcessResult;
using mx::test::run_process;
using mx::test::World;

constexpr const char* kInnerTest =
    "special-purpose addresses: every class inside a network namespace of its own";
constexpr const char* kInnerEnv = "MXSCAN_TEST_NETNS";
// Any full fingerprint: the download is refused (or not) before the key matters.
constexpr const char* kSomeKey = "0123456789ABCDEF0123456789ABCDEF01234567";

// One class of address: what DNS answers for <tag>.special.test's MX host, for
// mta-sts.<tag>.special.test and for lists.<tag>.special.test, and where a connection to it
// arrives on this machine ("" where none can: no server can listen there).
struct AddressCase {
  std::string tag;
  std::string ip;
  std::string listen;
  std::vector<std::string> says;  // what each refusal's message names, besides the address
};

std::string canonical(const std::string& ip) {
  return boost::asio::ip::make_address(ip).to_string();
}

std::string domain_of(const AddressCase& c) {
  return c.tag + ".special.test";
}

// Loopback, which every machine has.
std::vector<AddressCase> loopback_cases() {
  return {
      {"loopback4", "127.77.0.1", "127.77.0.1", {"Loopback (127.0.0.0/8, RFC 1122)"}},
      {"loopback6", "::1", "::1", {"Loopback Address (::1/128, RFC 4291)"}},
      {"mapped-loopback",
       "::ffff:127.0.0.1",
       "127.0.0.1",
       {"IPv4-mapped Address (::ffff:0:0/96", "carrying 127.0.0.1", "Loopback (127.0.0.0/8"}},
      // Linux connects 0.0.0.0 and :: to loopback.
      {"this-host", "0.0.0.0", "127.0.0.1", {"This host on this network (0.0.0.0/32"}},
      {"unspecified6", "::", "::1", {"Unspecified Address (::/128"}},
  };
}

// Every class, for a network namespace whose loopback interface is given each `listen` address.
std::vector<AddressCase> all_cases() {
  auto cases = loopback_cases();
  const std::vector<AddressCase> more{
      {"private10", "10.0.0.1", "10.0.0.1", {"Private-Use (10.0.0.0/8, RFC 1918)"}},
      {"private172", "172.16.0.1", "172.16.0.1", {"Private-Use (172.16.0.0/12, RFC 1918)"}},
      {"private192", "192.168.0.1", "192.168.0.1", {"Private-Use (192.168.0.0/16, RFC 1918)"}},
      {"cgnat", "100.64.0.1", "100.64.0.1", {"Shared Address Space (100.64.0.0/10, RFC 6598)"}},
      {"metadata", "169.254.169.254", "169.254.169.254", {"Link Local (169.254.0.0/16, RFC 3927)"}},
      {"linklocal4", "169.254.1.1", "169.254.1.1", {"Link Local (169.254.0.0/16"}},
      // A link-local IPv6 address needs an interface (scope) that DNS cannot give: connect(2)
      // refuses it, so only strace can show that it is not even tried.
      {"linklocal6", "fe80::1", "", {"Link-Local Unicast (fe80::/10, RFC 4291)"}},
      {"ula", "fc00::1", "fc00::1", {"Unique-Local (fc00::/7, RFC 4193)"}},
      {"ula-fd", "fd12:3456:789a::1", "fd12:3456:789a::1", {"Unique-Local (fc00::/7"}},
      {"mapped-private",
       "::ffff:10.0.0.1",
       "10.0.0.1",
       {"IPv4-mapped Address (::ffff:0:0/96", "carrying 10.0.0.1", "Private-Use (10.0.0.0/8"}},
      {"mapped-metadata",
       "::ffff:169.254.169.254",
       "169.254.169.254",
       {"IPv4-mapped Address", "carrying 169.254.169.254", "Link Local (169.254.0.0/16"}},
      // NAT64: the namespace's loopback interface stands in for the translator.
      {"nat64-loopback",
       "64:ff9b::7f00:1",
       "64:ff9b::7f00:1",
       {"IPv4-IPv6 Translation (64:ff9b::/96, RFC 6052)", "carrying 127.0.0.1",
        "Loopback (127.0.0.0/8"}},
      {"nat64-private",
       "64:ff9b::a00:1",
       "64:ff9b::a00:1",
       {"IPv4-IPv6 Translation (64:ff9b::/96", "carrying 10.0.0.1", "Private-Use (10.0.0.0/8"}},
      {"nat64-metadata",
       "64:ff9b::a9fe:a9fe",
       "64:ff9b::a9fe:a9fe",
       {"IPv4-IPv6 Translation (64:ff9b::/96", "carrying 169.254.169.254", "Link Local"}},
      {"nat64-local",
       "64:ff9b:1::a00:1",
       "64:ff9b:1::a00:1",
       {"IPv4-IPv6 Translation (local use) (64:ff9b:1::/48, RFC 8215)"}},
      {"compatible-loopback",
       "::7f00:1",
       "::7f00:1",
       {"IPv4-compatible Address (deprecated) (::/96", "carrying 127.0.0.1", "Loopback"}},
      {"sixtofour-loopback",
       "2002:7f00:1::1",
       "2002:7f00:1::1",
       {"6to4 (2002::/16, RFC 3056)", "carrying 127.0.0.1", "Loopback"}},
      {"doc1", "192.0.2.1", "192.0.2.1", {"Documentation (TEST-NET-1) (192.0.2.0/24"}},
      {"doc2", "198.51.100.1", "198.51.100.1", {"Documentation (TEST-NET-2) (198.51.100.0/24"}},
      {"doc3", "203.0.113.1", "203.0.113.1", {"Documentation (TEST-NET-3) (203.0.113.0/24"}},
      {"doc6", "2001:db8::1", "2001:db8::1", {"Documentation (2001:db8::/32, RFC 3849)"}},
      {"benchmarking", "198.18.0.1", "198.18.0.1", {"Benchmarking (198.18.0.0/15, RFC 2544)"}},
      {"this-network", "0.1.2.3", "", {"This network (0.0.0.0/8, RFC 791)"}},
      {"multicast4", "224.0.0.1", "", {"Multicast (224.0.0.0/4, RFC 5771)"}},
      {"multicast6", "ff02::1", "", {"Multicast (ff00::/8, RFC 4291)"}},
      {"reserved", "240.0.0.1", "", {"Reserved (240.0.0.0/4, RFC 1112)"}},
      {"broadcast", "255.255.255.255", "", {"Limited Broadcast (255.255.255.255/32, RFC 919)"}},
  };
  cases.insert(cases.end(), more.begin(), more.end());
  return cases;
}

// The program's path, found on PATH or in the system directories (posix_spawn takes a path).
std::string find_program(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream in(path);
    for (std::string dir; std::getline(in, dir, ':');) {
      dirs.push_back(dir);
    }
  }
  dirs.insert(dirs.end(),
              {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"});
  for (const auto& dir : dirs) {
    const fs::path candidate = fs::path(dir) / name;
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  return {};
}

// Whether a socket can be bound to `ip` here (the address is this machine's).
bool bindable(const std::string& ip) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address(ip), 0);
  static_cast<void>(acceptor.open(endpoint.protocol(), ec));
  if (!ec) {
    static_cast<void>(acceptor.bind(endpoint, ec));
  }
  return !ec;
}

// strace -f -e trace=connect around a command, when strace is installed and may trace here.
class ConnectTrace {
 public:
  ConnectTrace() {
    const std::string strace = find_program("strace");
    const std::string env = find_program("env");
    if (strace.empty() || env.empty()) {
      return;
    }
    const auto probe = run_process({strace, "-f", "-qq", "-o", "/dev/null", env, "true"}, 20s);
    if (probe.exit_code == 0) {
      strace_ = strace;
      env_ = env;
    }
  }

  [[nodiscard]] bool available() const { return !strace_.empty(); }

  // `argv` under strace writing to `log`. LeakSanitizer cannot stop the world of a traced
  // process (it ptraces its own threads), so leak checks are off for traced runs only.
  [[nodiscard]] std::vector<std::string> wrap(const std::vector<std::string>& argv,
                                              const fs::path& log) const {
    if (!available()) {
      return argv;
    }
    const char* asan = std::getenv("ASAN_OPTIONS");
    std::vector<std::string> out{
        env_,
        std::string("ASAN_OPTIONS=") + (asan != nullptr ? asan : "") + ":detect_leaks=0",
        strace_,
        "-f",
        "-qq",
        "-e",
        "trace=connect",
        "-e",
        "signal=none",
        "-o",
        log.string()};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  }

  // Every address a traced process passed to connect(2), as inet_ntop writes it.
  static std::set<std::string> connected(const fs::path& log) {
    std::ifstream in(log);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    static const std::regex address(
        R"re(connect\(.*(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"))re");
    std::set<std::string> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      std::smatch match;
      if (std::regex_search(line, match, address)) {
        out.insert(match[1].matched ? match[1].str() : match[2].str());
      }
    }
    return out;
  }

 private:
  std::string strace_;
  std::string env_;
};

std::string option_value(const std::vector<std::string>& options, const std::string& name) {
  const auto found = std::find(options.begin(), options.end(), name);
  return found != options.end() && found + 1 != options.end() ? *(found + 1) : std::string();
}

const json::object* find_check(const json::value& checks, const std::string& name) {
  for (const auto& check : checks.as_array()) {
    if (check.at("check").as_string() == name) {
      return &check.as_object();
    }
  }
  return nullptr;
}

std::string text_of(const json::object* check) {
  if (check == nullptr) {
    return "(missing)";
  }
  return std::string(check->at("status").as_string()) + " " +
         std::string(check->at("code").as_string()) + ": " +
         std::string(check->at("message").as_string());
}

// Runs each argv, at most four at a time; the results in order.
std::vector<ProcessResult> run_all(const std::vector<std::vector<std::string>>& argvs) {
  std::vector<ProcessResult> results(argvs.size());
  std::mutex mutex;
  std::size_t next = 0;
  const auto worker = [&] {
    for (;;) {
      std::size_t i = 0;
      {
        const std::lock_guard<std::mutex> lock(mutex);
        if (next == argvs.size()) {
          return;
        }
        i = next++;
      }
      results[i] = run_process(argvs[i], 60s);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back(worker);
  }
  for (auto& thread : threads) {
    thread.join();
  }
  return results;
}

// An SMTP and an HTTPS server on each of the addresses where a connection to a case's address
// arrives, on a thread of their own. The world's own servers refuse any address but loopback (a
// guard against a test listening on a real network); these are the multi-host servers bound to
// one address each, and outside the test's network namespace only loopback ones are made.
class Listeners {
 public:
  Listeners(const std::vector<std::string>& addresses, const mx::world::Pki& pki) {
    const mx::world::KeyPtr key = mx::world::generate_key(mx::world::KeyType::ecdsa_p256);
    const mx::world::Leaf leaf =
        pki.issue_in_memory(mx::world::leaf_named({"special.test"}), key.get());
    const auto smtp_hosts = std::make_shared<SmtpAnyHost>();
    const auto https_hosts = std::make_shared<HttpsAnyHost>(
        mx::world::TlsIdentity{.leaf = mx::world::share(leaf.cert.get()),
                               .chain = {mx::world::share(pki.intermediate())},
                               .key = mx::world::share(key.get())});
    for (const auto& address : addresses) {
      const auto ip = boost::asio::ip::make_address(address);
      auto smtp = std::make_unique<mx::world::SmtpServer>(
          io_, smtp_hosts, boost::asio::ip::tcp::endpoint(ip, smtp_port_));
      smtp_port_ = smtp->port();
      auto https = std::make_unique<mx::world::HttpsServer>(
          io_, https_hosts, boost::asio::ip::tcp::endpoint(ip, https_port_));
      https_port_ = https->port();
      servers_[address] = {std::move(smtp), std::move(https)};
    }
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Listeners() {
    work_.reset();
    boost::asio::post(io_, [this] {
      for (auto& [address, pair] : servers_) {
        pair.first->stop();
        pair.second->stop();
      }
    });
    thread_.join();
  }
  Listeners(const Listeners&) = delete;
  Listeners& operator=(const Listeners&) = delete;

  [[nodiscard]] std::uint16_t smtp_port() const { return smtp_port_; }
  [[nodiscard]] std::uint16_t https_port() const { return https_port_; }

  // Connections accepted so far on each address: (SMTP, HTTPS).
  [[nodiscard]] std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> contacts() const {
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> out;
    for (const auto& [address, pair] : servers_) {
      out[address] = {pair.first->connections_accepted(), pair.second->connections_accepted()};
    }
    return out;
  }

 private:
  // Every address serves the same hosts: an SMTP server without TLS (STARTTLS gets 454) and an
  // HTTPS server answering 404; only the connections matter.
  class SmtpAnyHost : public mx::world::SmtpHosts {
   public:
    [[nodiscard]] std::optional<mx::world::SmtpHost> host(
        const boost::asio::ip::address& /*local*/) override {
      return mx::world::SmtpHost{};
    }
  };
  class HttpsAnyHost : public mx::world::HttpsHosts {
   public:
    explicit HttpsAnyHost(mx::world::TlsIdentity identity) : identity_(std::move(identity)) {}
    [[nodiscard]] std::optional<mx::world::HttpsHost> host(
        const boost::asio::ip::address& /*local*/) override {
      return mx::world::HttpsHost{.identity = identity_};
    }

   private:
    mx::world::TlsIdentity identity_;
  };

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::uint16_t smtp_port_ = 0;
  std::uint16_t https_port_ = 0;
  std::map<std::string, std::pair<std::unique_ptr<mx::world::SmtpServer>,
                                  std::unique_ptr<mx::world::HttpsServer>>>
      servers_;
  std::thread thread_;
};

// The whole demonstration for `cases`, in whatever network namespace the test runs in.
void show_no_contact(std::vector<AddressCase> cases) {
  World world;
  const ConnectTrace trace;
  if (!trace.available()) {
    WARN("strace is not available: non-contact is shown by the servers' counters alone");
  }

  // Servers wherever a connection can arrive; 127.0.0.1 first, so that the shared port is free
  // there (0.0.0.0 arrives at 127.0.0.1 on whatever port it was asked for).
  std::vector<std::string> listens;
  for (auto& c : cases) {
    if (!c.listen.empty() && !bindable(c.listen)) {
      WARN("cannot listen on " << c.listen << " here: " << c.ip << " is shown by strace only");
      c.listen.clear();
    }
    if (!c.listen.empty() && std::find(listens.begin(), listens.end(), c.listen) == listens.end()) {
      listens.push_back(c.listen);
    }
  }
  std::stable_partition(listens.begin(), listens.end(),
                        [](const std::string& ip) { return ip == "127.0.0.1"; });
  if (std::getenv(kInnerEnv) == nullptr) {
    for (const auto& listen : listens) {
      CAPTURE(listen);
      REQUIRE(boost::asio::ip::make_address(listen).is_loopback());
    }
  }
  const Listeners servers(listens, world.pki());
  for (const auto& c : cases) {
    const std::string domain = domain_of(c);
    const bool v6 = boost::asio::ip::make_address(c.ip).is_v6();
    for (const auto& host : {"mx." + domain, "mta-sts." + domain, "lists." + domain}) {
      if (v6) {
        world.zone().add_aaaa(host, c.ip);
      } else {
        world.zone().add_a(host, c.ip);
      }
    }
    world.zone().add_mx(domain, 10, "mx." + domain);
    world.add_mta_sts_record(domain, "20260101");
  }
  world.start();
  // The world's options (its resolver and trust anchors), with these servers' ports.
  std::vector<std::string> options = world.world_options();
  const auto smtp_port = std::find(options.begin(), options.end(), "--smtp-port");
  REQUIRE(smtp_port != options.end());
  *(smtp_port + 1) = std::to_string(servers.smtp_port());
  const std::string https_port = std::to_string(servers.https_port());
  options.insert(options.end(), {"--https-port", https_port});
  const std::string resolver = option_value(options, "--resolver");

  const auto contacts = [&servers] { return servers.contacts(); };
  const auto before = contacts();
  for (const auto& [listen, counts] : before) {
    CHECK(counts.first == 0);
    CHECK(counts.second == 0);
  }

  int traces = 0;
  const auto check_argv = [&](bool allow_private, const fs::path& log) {
    std::vector<std::string> argv{MXSCAN_BINARY, "check"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.emplace_back("--json");
    if (allow_private) {
      argv.emplace_back("--allow-private");
    }
    for (const auto& c : cases) {
      argv.push_back(domain_of(c));
    }
    return trace.wrap(argv, log);
  };
  const auto update_argv = [&](const AddressCase& c, bool allow_private, const fs::path& log) {
    std::vector<std::string> argv{
        MXSCAN_BINARY,
        "list",
        "update",
        "--url",
        "https://lists." + domain_of(c) + ":" + https_port + "/policy.json",
        "--key",
        kSomeKey,
        "--state",
        (world.dir() / ("state-" + c.tag + (allow_private ? "-allowed" : ""))).string(),
        "--resolver",
        resolver,
        "--ca-file",
        option_value(options, "--ca-file"),
        "--timeout",
        "2"};
    if (allow_private) {
      argv.emplace_back("--allow-private");
    }
    return trace.wrap(argv, log);
  };
  const auto next_log = [&] { return world.dir() / ("connect-" + std::to_string(traces++)); };

  // 1 and 2: mxscan check, without --allow-private.
  const fs::path check_log = next_log();
  const ProcessResult refused = run_process(check_argv(false, check_log), 90s);
  INFO("mxscan check stderr: " << refused.err);
  CHECK(refused.exit_code == 3);  // error (undetermined), not fail: the domain is not judged
  const auto results = mx::test::by_domain(refused.out);
  for (const auto& c : cases) {
    const std::string ip = canonical(c.ip);
    const std::string domain = domain_of(c);
    CAPTURE(c.tag, ip);
    REQUIRE(results.count(domain) == 1);
    const json::object& result = results.at(domain);
    CHECK(result.at("status").as_string() == "error");

    const auto& mx = result.at("mx").as_array();
    REQUIRE(mx.size() == 1);
    const auto& addresses = mx[0].at("addresses").as_array();
    REQUIRE(addresses.size() == 1);
    CHECK(addresses[0].at("ip").as_string() == ip);
    const json::object* address = find_check(addresses[0].at("checks"), "address");
    const std::string address_text = text_of(address);
    CAPTURE(address_text);
    CHECK(address_text.starts_with("error forbidden: " + ip + " is a special-purpose address: "));
    CHECK_THAT(address_text, Catch::Contains("not connected without --allow-private"));
    for (const auto& says : c.says) {
      CHECK_THAT(address_text, Catch::Contains(says));
    }
    const json::object* connect = find_check(addresses[0].at("checks"), "connect");
    REQUIRE(connect != nullptr);
    CHECK(connect->at("status").as_string() == "skipped");

    const std::string policy_text = text_of(find_check(result.at("checks"), "mta-sts.policy"));
    CAPTURE(policy_text);
    CHECK(policy_text.starts_with("error forbidden: every address of mta-sts." + domain +
                                  " is special-purpose: " + ip + " is "));
    CHECK_THAT(policy_text, Catch::Contains("not connected without --allow-private"));
    for (const auto& says : c.says) {
      CHECK_THAT(policy_text, Catch::Contains(says));
    }
  }

  // 3: mxscan list update, without --allow-private.
  std::vector<std::vector<std::string>> updates;
  std::vector<fs::path> update_logs;
  for (const auto& c : cases) {
    update_logs.push_back(next_log());
    updates.push_back(update_argv(c, false, update_logs.back()));
  }
  const auto update_results = run_all(updates);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const auto& r = update_results[i];
    CAPTURE(c.tag, r.out, r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.out.starts_with("refused: cannot download https://lists." + domain_of(c) + ":" +
                            https_port +
                            "/policy.json: forbidden at connect: every address of "
                            "lists." +
                            domain_of(c) + " is special-purpose: " + canonical(c.ip) + " is "));
    for (const auto& says : c.says) {
      CHECK_THAT(r.out, Catch::Contains(says));
    }
  }

  // Nothing was contacted: no server counted a connection, no connect(2) reached any address.
  CHECK(contacts() == before);
  if (trace.available()) {
    std::vector<fs::path> logs{check_log};
    logs.insert(logs.end(), update_logs.begin(), update_logs.end());
    for (const auto& log : logs) {
      const auto connected = ConnectTrace::connected(log);
      CAPTURE(log.string());
      // The trace does see connect(2): the resolver's UDP socket is connected to it.
      CHECK(connected.count(resolver.substr(0, resolver.rfind(':'))) == 1);
      for (const auto& c : cases) {
        CAPTURE(c.tag);
        CHECK(connected.count(canonical(c.ip)) == 0);
      }
    }
  }

  // The control: with --allow-private every server is reached, and every address tried.
  const fs::path allowed_log = next_log();
  const ProcessResult allowed = run_process(check_argv(true, allowed_log), 90s);
  INFO("mxscan check --allow-private stderr: " << allowed.err);
  CHECK(!allowed.timed_out);
  std::vector<std::vector<std::string>> allowed_updates;
  std::vector<fs::path> allowed_update_logs;
  for (const auto& c : cases) {
    allowed_update_logs.push_back(next_log());
    allowed_updates.push_back(update_argv(c, true, allowed_update_logs.back()));
  }
  const auto allowed_update_results = run_all(allowed_updates);
  for (const auto& r : allowed_update_results) {
    CHECK(!r.timed_out);
  }
  const auto after = contacts();
  for (const auto& [listen, counts] : after) {
    CAPTURE(listen);
    // Per address arriving here: an SMTP probe, an MTA-STS fetch, and a list update's GET
    // (which stops at the certificate, not for the list's host name).
    const auto arriving = static_cast<std::uint64_t>(std::count_if(
        cases.begin(), cases.end(), [&](const AddressCase& c) { return c.listen == listen; }));
    CHECK(counts.first >= arriving);
    CHECK(counts.second >= 2 * arriving);
  }
  if (trace.available()) {
    const auto connected = ConnectTrace::connected(allowed_log);
    for (std::size_t i = 0; i < cases.size(); ++i) {
      CAPTURE(cases[i].tag);
      CHECK(connected.count(canonical(cases[i].ip)) == 1);
      CHECK(ConnectTrace::connected(allowed_update_logs[i]).count(canonical(cases[i].ip)) == 1);
    }
  }
}

}  // namespace

TEST_CASE("special-purpose addresses: loopback MX and MTA-STS and list hosts are never contacted",
          "[loopback]") {
  show_no_contact(loopback_cases());
}

TEST_CASE(
    "special-purpose addresses: private and link-local and CGNAT and unique-local and "
    "IPv4-mapped and NAT64 and other classes are never contacted (in a network namespace)",
    "[loopback]") {
  const std::string unshare = find_program("unshare");
  const std::string env = find_program("env");
  if (unshare.empty() || env.empty() ||
      run_process({unshare, "-rn", env, "true"}, 20s).exit_code != 0) {
    WARN("no network namespace here (unshare -rn): only the loopback classes were shown");
    return;
  }
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const auto inner = run_process(
      {unshare, "-rn", env, std::string(kInnerEnv) + "=1", self, "--warn", "NoTests", kInnerTest},
      110s);
  INFO(inner.out << inner.err);
  CHECK(inner.exit_code == 0);
  CHECK_THAT(inner.out, Catch::Contains("All tests passed"));
}

TEST_CASE("special-purpose addresses: every class inside a network namespace of its own",
          "[.][netns]") {
  // Run only by the test above, inside `unshare -rn`: it changes the namespace's interfaces.
  REQUIRE(std::getenv(kInnerEnv) != nullptr);
  const std::string ip_tool = find_program("ip");
  REQUIRE(!ip_tool.empty());
  REQUIRE(run_process({ip_tool, "link", "set", "lo", "up"}).exit_code == 0);
  const auto cases = all_cases();
  std::set<std::string> added;
  for (const auto& c : cases) {
    if (c.listen.empty() || !added.insert(c.listen).second) {
      continue;
    }
    const auto ip = boost::asio::ip::make_address(c.listen);
    if (ip.is_loopback() || (ip.is_v4() && ip.to_v4().to_bytes()[0] == 127)) {
      continue;  // the interface has them once up
    }
    const auto added_address =
        ip.is_v6()
            ? run_process({ip_tool, "-6", "addr", "add", c.listen + "/128", "dev", "lo", "nodad"})
            : run_process({ip_tool, "addr", "add", c.listen + "/32", "dev", "lo"});
    CAPTURE(c.listen, added_address.err);
    CHECK(added_address.exit_code == 0);
  }
  show_no_contact(cases);
}
