#include "scanner/cli/scan_options.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "publish/digest.hpp"

namespace mx::cli {

std::vector<net::ServerAddress> ScanOptions::resolvers() const {
  std::vector<net::ServerAddress> out;
  out.reserve(resolver_args.size());
  for (const auto& arg : resolver_args) {
    out.push_back(*net::parse_server_address(arg));  // validated while parsing
  }
  return out;
}

std::chrono::milliseconds ScanOptions::timeout() const {
  return std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000.0));
}

std::chrono::milliseconds ScanOptions::greeting_timeout() const {
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(greeting_timeout_s.value_or(timeout_s) * 1000.0));
}

std::string ScanOptions::ehlo_name() const {
  if (!ehlo.empty()) {
    return ehlo;
  }
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0 || host[0] == '\0') {
    return "localhost";
  }
  return host.data();
}

unsigned ScanOptions::thread_count() const {
  return threads != 0 ? threads : std::max(1U, std::thread::hardware_concurrency());
}

bool ScanOptions::check_open_files(std::string_view command) const {
  if (engine::fit_concurrency(1, thread_count()) != 0) {
    return true;
  }
  std::cerr << fmt::format(
      "mxscan {}: the open-file limit (ulimit -n) is {}: too low for {} thread{}, which need {} "
      "descriptors and {} per domain in flight; raise it, or give fewer --threads\n",
      command, engine::raise_open_file_limit(), thread_count(), thread_count() == 1 ? "" : "s",
      engine::reserved_open_files(thread_count()), engine::kOpenFilesPerDomain);
  return false;
}

std::string ScanOptions::read_exclude(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::string bytes;
  if (file) {
    bytes.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  if (!file && !file.eof()) {
    return fmt::format("{}: cannot read the exclude list", path);
  }
  std::istringstream text(bytes);
  auto parsed = targets::parse_exclude_list(text);
  if (const auto* problem = std::get_if<targets::ExcludeProblem>(&parsed)) {
    return fmt::format("{}:{}: {}", path, problem->line, problem->reason);
  }
  exclude = std::make_shared<const targets::ExcludeList>(
      std::move(std::get<targets::ExcludeList>(parsed)));
  exclude_sha256 = publish::sha256_hex(bytes);
  return {};
}

engine::EngineOptions ScanOptions::engine_options(const probes::tls::TrustStore& trust) const {
  engine::EngineOptions out;
  out.threads = thread_count();
  out.concurrency = std::max<std::size_t>(1, engine::fit_concurrency(concurrency, out.threads));
  out.per_ip = per_ip;
  out.rate = rate;
  out.endpoint_cache = endpoint_cache;
  out.retry_delay = std::chrono::milliseconds(static_cast<std::int64_t>(retry_delay_s * 1000.0));
  out.resolver.servers = resolvers();
  out.resolver.timeout = timeout();
  out.probe.port = smtp_port;
  out.https_port = https_port;
  out.probe.ehlo_name = ehlo_name();
  out.probe.step_timeout = timeout();
  out.probe.greeting_timeout = greeting_timeout();
  out.probe.allow_private = allow_private;
  out.trust = &trust;
  out.exclude = exclude.get();
  return out;
}

void add_scan_options(CLI::App& app, ScanOptions& options) {
  // A later occurrence of a single-valued option overrides an earlier one, so that scripts can
  // append to a common set of options.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  const CLI::Validator server_address(
      [](const std::string& text) -> std::string {
        if (net::parse_server_address(text)) {
          return {};
        }
        return "'" + text + "' is not IP[:PORT] (IPv6 with a port as [ADDR]:PORT)";
      },
      "IP[:PORT]");
  app.add_option("--resolver", options.resolver_args,
                 "DNS resolver to ask (repeatable; default: /etc/resolv.conf)")
      ->type_name("IP[:PORT]")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->allow_extra_args(false)  // one address per --resolver; what follows is a domain
      ->check(server_address);
  app.add_option("--ca-file", options.ca_file,
                 "PEM trust anchors replacing the system store for every TLS connection")
      ->check(CLI::ExistingFile);
  app.add_flag("--allow-private", options.allow_private,
               "allow connections to loopback, private and other special-purpose addresses");
  app.add_option("--smtp-port", options.smtp_port, "SMTP port of mail hosts")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--https-port", options.https_port, "HTTPS port of MTA-STS hosts")
      ->capture_default_str()
      ->check(CLI::Range(1, 65535));
  app.add_option("--timeout", options.timeout_s,
                 "budget of one network step (connect, SMTP reply, TLS handshake, HTTP "
                 "exchange, DNS query), in seconds")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 3600.0));
  app.add_option("--greeting-timeout", options.greeting_timeout_s,
                 "how long to wait for an SMTP greeting, in seconds (default: --timeout; raise it "
                 "to wait out tarpits)")
      ->check(CLI::Range(0.001, 3600.0));
  app.add_option("--concurrency", options.concurrency, "probes in flight")
      ->capture_default_str()
      ->check(CLI::Range(1U, 1000000U));
  app.add_option("--threads", options.threads, "scanning threads (default: one per core)")
      ->check(CLI::Range(1U, 256U));
  app.add_option("--per-ip", options.per_ip, "connections open to one address at a time")
      ->capture_default_str()
      ->check(CLI::Range(1U, 100U));
  app.add_option("--rate", options.rate,
                 "at most this many new connections per second over the whole scan (SMTP probes "
                 "and MTA-STS fetches; DNS queries go to the resolver and do not count), on top "
                 "of --per-ip; 0: no limit")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1'000'000.0));
  app.add_option("--exclude", options.exclude_file,
                 "names and networks never looked up or contacted: one a line, CIDR (v4, v6), "
                 "address, or domain (it and every name below it), # comments (zmap's "
                 "blocklist format)")
      ->type_name("FILE")
      ->check(CLI::ExistingFile)
      ->check(CLI::Validator(
          [&options](const std::string& path) { return options.read_exclude(path); }, "FILE"));
  app.add_option("--endpoint-cache", options.endpoint_cache,
                 "endpoints whose probe outcome is kept for other domains (an evicted one is "
                 "probed again)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
  app.add_option("--retry-delay", options.retry_delay_s,
                 "seconds before an undetermined (error) domain is observed again, once")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--ehlo", options.ehlo, "name sent in EHLO (default: this host's name)");
  app.add_flag("--json", options.json, "print JSON Lines, one object per domain");
}

}  // namespace mx::cli
