#pragma once
// A loopback world for end-to-end tests of the mxscan binary: one DNS server, SMTP servers on
// their own 127.0.1.x addresses, all on one port, and HTTPS servers (MTA-STS policy hosts) on
// their own 127.0.2.x addresses, all on another port, with certificates from a test PKI, served
// by two background threads (DNS, and the others) for the life of the object. world.mxscan(...)
// runs the binary with the world's resolver, trust anchors and ports.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "tests/support/background_dns.hpp"
#include "tests/support/process.hpp"
#include "tests/world/https_server.hpp"
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

// DANE-EE SPKI SHA2-256 (TLSA 3 1 1) of the first certificate in the PEM file `cert_file` (a
// leaf's cert_file or chain_file), computed here rather than by the code under test.
inline world::TlsaData dane_ee_spki_sha256(const std::filesystem::path& cert_file) {
  std::unique_ptr<std::FILE, decltype(&std::fclose)> file(std::fopen(cert_file.c_str(), "rb"),
                                                          &std::fclose);
  if (!file) {
    throw std::runtime_error("cannot open " + cert_file.string());
  }
  const world::CertPtr cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    throw std::runtime_error("no certificate in " + cert_file.string());
  }
  unsigned char* der = nullptr;
  const int der_size = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert.get()), &der);
  if (der_size <= 0) {
    throw std::runtime_error("cannot encode the public key of " + cert_file.string());
  }
  world::TlsaData tlsa{.usage = 3,
                       .selector = 1,
                       .matching_type = 1,
                       .data = std::vector<std::uint8_t>(EVP_MAX_MD_SIZE)};
  unsigned int digest_size = 0;
  const int digested = EVP_Digest(der, static_cast<std::size_t>(der_size), tlsa.data.data(),
                                  &digest_size, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (digested != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  tlsa.data.resize(digest_size);
  return tlsa;
}

// A world: one DNS server, per domain an MX host on its own 127.0.1.x address whose SMTP server
// plays a behaviour, and per MTA-STS policy host an HTTPS server on its own 127.0.2.x address.
// Every SMTP server listens on one port, every HTTPS server on another.
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
        for (auto& server : https_) {
          server->stop();
        }
      });
      thread_.join();
      dns_.reset();
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

  // `host` A <next 127.0.2.x address>, served by an HTTPS server answering every request with
  // `site` (whatever the SNI). The server is the world's until it ends; its records (requests())
  // may be read from the test's thread.
  world::HttpsServer& add_https(const std::string& host, world::HttpsSite site) {
    world::HttpsBehaviour behaviour;
    behaviour.default_site = std::move(site);
    return add_https_server(host, std::move(behaviour));
  }

  // `host` A <next 127.0.2.x address>, served by an HTTPS server playing `behaviour` (its
  // default site for every SNI name but those of by_sni, its by_target routes).
  world::HttpsServer& add_https_server(const std::string& host, world::HttpsBehaviour behaviour) {
    const auto ip = next_https_address();
    zone_.add_a(host, ip);
    https_.push_back(std::make_unique<world::HttpsServer>(
        io_, std::move(behaviour), boost::asio::ip::make_address(ip), https_port_));
    https_port_ = https_.back()->port();
    return *https_.back();
  }

  std::string next_https_address() { return "127.0.2." + std::to_string(++https_count_); }

  // _mta-sts.<domain> TXT "v=STSv1; id=<id>".
  void add_mta_sts_record(const std::string& domain, const std::string& id) {
    zone_.add_txt("_mta-sts." + domain, {"v=STSv1; id=" + id});
  }

  // An MTA-STS domain: its record with `id`, and mta-sts.<domain> served by an HTTPS server that
  // answers `response` with a certificate from `spec` (by default, valid for mta-sts.<domain>).
  world::HttpsServer& add_mta_sts(const std::string& domain, const std::string& id,
                                  world::HttpsResponse response, world::LeafSpec spec = {}) {
    add_mta_sts_record(domain, id);
    const std::string host = "mta-sts." + domain;
    return add_https(host,
                     world::HttpsSite{certificate_for(host, std::move(spec)), std::move(response)});
  }

  // _smtp._tls.<domain> TXT "v=TLSRPTv1; rua=<rua>".
  void add_tlsrpt(const std::string& domain, const std::string& rua) {
    zone_.add_txt("_smtp._tls." + domain, {"v=TLSRPTv1; rua=" + rua});
  }

  // _25._tcp.<host> TLSA `tlsa` (one record per call), answered with the AD bit when
  // `authenticated` (as a validating resolver would set it).
  void add_tlsa(const std::string& host, world::TlsaData tlsa, bool authenticated) {
    const std::string name = "_25._tcp." + host;
    zone_.add_tlsa(name, std::move(tlsa));
    zone_.set_behaviour(name, {.authenticated = authenticated});
  }

  // DNS answers come from a thread of their own, so that they never wait behind TLS handshakes
  // (a scan asks several names per domain while its probes connect).
  void start() {
    dns_ = std::make_unique<BackgroundDns>(zone_);
    thread_ = std::thread([this] { io_.run(); });
  }

  // The options that point mxscan at this world (resolver, trust anchors, ports) with short
  // deadlines and no retry delay. --https-port is there once the world has an HTTPS server.
  std::vector<std::string> world_options() const {
    std::vector<std::string> options{"--resolver",
                                     dns_->resolver(),
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
    if (https_port_ != 0) {
      options.insert(options.end(), {"--https-port", std::to_string(https_port_)});
    }
    return options;
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
  // The port every SMTP server listens on (0 before the first one starts).
  std::uint16_t smtp_port() const { return port_; }

  // Every name the world's DNS server was asked, as asked (after start()).
  std::vector<std::string> names_asked() const { return dns_->names_asked(); }

  // Connections the SMTP server at `ip` accepted.
  std::uint64_t connections_to(const std::string& ip) const {
    std::uint64_t total = 0;
    for (const auto& server : smtp_) {
      if (server->endpoint().address().to_string() == ip) {
        total += server->connections_accepted();
      }
    }
    return total;
  }

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
  int https_count_ = 0;
  std::uint16_t port_ = 0;
  std::uint16_t https_port_ = 0;
  boost::asio::io_context io_;  // SMTP and HTTPS servers
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::unique_ptr<BackgroundDns> dns_;
  std::vector<std::unique_ptr<world::SmtpServer>> smtp_;
  std::vector<std::unique_ptr<world::HttpsServer>> https_;
  std::thread thread_;
};

}  // namespace mx::test
