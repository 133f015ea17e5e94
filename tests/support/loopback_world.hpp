#pragma once
// A loopback world for end-to-end tests of the mxscan binary: one DNS server, and SMTP servers on
// their own 127.0.1.x addresses, all on one port, with certificates from a test PKI, served by a
// background thread for the life of the object. world.mxscan(...) runs the binary with the
// world's resolver, trust anchors and port.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "tests/support/process.hpp"
#include "tests/world/dns_server.hpp"
#include "tests/world/pki.hpp"
#include "tests/world/smtp_server.hpp"

namespace mx::test {

using world::SmtpBehaviour;

inline std::filesystem::path fresh_dir() {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() /
             ("mxscan-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(dir);
  return dir;
}

// A world: one DNS server, and per domain an MX host on its own 127.0.1.x address whose SMTP
// server plays a behaviour. Every SMTP server listens on the same port.
class World {
 public:
  World() : dir_(fresh_dir()), pki_(dir_ / "pki") {}
  ~World() {
    if (thread_.joinable()) {
      work_.reset();
      boost::asio::post(io_, [this] {
        for (auto& server : smtp_) {
          server->stop();
        }
        dns_->stop();
      });
      thread_.join();
    }
    std::filesystem::remove_all(dir_);
  }
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  world::Pki& pki() { return pki_; }
  world::Zone& zone() { return zone_; }

  world::SmtpCertificate certificate_for(const std::string& host, world::LeafSpec spec = {}) {
    if (spec.dns_names.empty() && spec.common_name.empty()) {
      spec.dns_names = {host};
    }
    return world::SmtpCertificate::from(pki_.issue(spec, "leaf" + std::to_string(leaves_++)));
  }

  SmtpBehaviour tls_behaviour(const std::string& host, world::LeafSpec spec = {}) {
    SmtpBehaviour behaviour;
    behaviour.tls = world::SmtpTls{certificate_for(host, std::move(spec)), {}};
    return behaviour;
  }

  // domain MX 10 mx.<domain>, mx.<domain> A <next address>, served with `behaviour`.
  std::string add_domain(const std::string& domain, const SmtpBehaviour& behaviour) {
    const std::string host = "mx." + domain;
    zone_.add_mx(domain, 10, host);
    add_server(host, behaviour);
    return host;
  }

  // A host name with an address and a server playing `behaviour`.
  void add_server(const std::string& host, const SmtpBehaviour& behaviour) {
    const auto ip = next_address();
    zone_.add_a(host, ip);
    start_smtp(behaviour, boost::asio::ip::make_address(ip));
  }

  void start_smtp(const SmtpBehaviour& behaviour, const boost::asio::ip::address& ip) {
    smtp_.push_back(std::make_unique<world::SmtpServer>(io_, behaviour, ip, port_));
    port_ = smtp_.back()->port();
  }

  std::string next_address() { return "127.0.1." + std::to_string(++host_count_); }

  void start() {
    dns_ =
        std::make_unique<world::DnsServer>(io_, zone_, boost::asio::ip::make_address("127.0.0.1"));
    thread_ = std::thread([this] { io_.run(); });
  }

  // The options that point mxscan at this world (resolver, trust anchors, port) with short
  // deadlines and no retry delay.
  std::vector<std::string> world_options() const {
    return {"--resolver",
            dns_->resolver_arg(),
            "--ca-file",
            pki_.trust_file().string(),
            "--smtp-port",
            std::to_string(port_ == 0 ? 25 : port_),
            "--timeout",
            "3",
            "--greeting-timeout",
            "0.5",
            "--retry-delay",
            "0",
            "--ehlo",
            "scanner.test"};
  }

  // `mxscan check` against this world; JSON Lines unless !json.
  ProcessResult check(std::vector<std::string> args, bool json = true) const {
    std::vector<std::string> argv{MXSCAN_BINARY, "check"};
    const auto options = world_options();
    argv.insert(argv.end(), options.begin(), options.end());
    if (json) {
      argv.emplace_back("--json");
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  }

  // `mxscan <command> <world options> <args>`.
  ProcessResult mxscan(const std::string& command, const std::vector<std::string>& args) const {
    std::vector<std::string> argv{MXSCAN_BINARY, command};
    const auto options = world_options();
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv);
  }

  const std::filesystem::path& dir() const { return dir_; }

  std::uint64_t connections() const {
    std::uint64_t total = 0;
    for (const auto& server : smtp_) {
      total += server->connections_accepted();
    }
    return total;
  }

 private:
  std::filesystem::path dir_;
  world::Pki pki_;
  world::Zone zone_;
  int leaves_ = 0;
  int host_count_ = 0;
  std::uint16_t port_ = 0;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::unique_ptr<world::DnsServer> dns_;
  std::vector<std::unique_ptr<world::SmtpServer>> smtp_;
  std::thread thread_;
};

}  // namespace mx::test
