#pragma once
// The options every scanning command takes (CONTRACT.md "Commands"), defined once.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/App.hpp>

#include "scanner/engine/engine.hpp"
#include "scanner/net/server_address.hpp"
#include "scanner/targets/exclude_list.hpp"

namespace mx::cli {

struct ScanOptions {
  std::vector<std::string> resolver_args;  // as typed; resolvers() gives them parsed
  std::string ca_file;                     // empty: the system trust store
  bool allow_private = false;
  std::uint16_t smtp_port = 25;
  std::uint16_t https_port = 443;
  double timeout_s = 10.0;
  // Unset: --timeout, which CONTRACT.md makes the budget of every SMTP reply, the greeting too.
  std::optional<double> greeting_timeout_s;
  unsigned concurrency = 1000;
  unsigned threads = 0;  // 0: one per core
  unsigned per_ip = 2;
  double rate = 0;  // --rate: new connections per second over the scan; 0: no limit
  std::size_t endpoint_cache = engine::kDefaultEndpointCacheEntries;
  double retry_delay_s = 10.0;
  std::string ehlo;  // empty: this machine's host name
  bool json = false;
  std::string exclude_file;  // --exclude; empty: none
  // Set while the command line is parsed (read_exclude): the list, and the SHA-256 of the file's
  // bytes that the run records.
  std::shared_ptr<const targets::ExcludeList> exclude;
  std::string exclude_sha256;

  // Valid once the command line has been parsed (the --resolver check has run).
  [[nodiscard]] std::vector<net::ServerAddress> resolvers() const;
  [[nodiscard]] std::chrono::milliseconds timeout() const;
  [[nodiscard]] std::chrono::milliseconds greeting_timeout() const;
  [[nodiscard]] std::string ehlo_name() const;
  // --threads, or one per core.
  [[nodiscard]] unsigned thread_count() const;
  // False, with a message on stderr naming the limit, when the open-file limit leaves no room for
  // one domain in flight beside what the run itself holds (checked before anything is written).
  [[nodiscard]] bool check_open_files(std::string_view command) const;
  // Reads the exclude list at `path` into `exclude`: empty, or why not ("FILE:LINE: problem" for
  // the first malformed entry), which makes the command line invalid (exit 2, nothing written).
  [[nodiscard]] std::string read_exclude(const std::string& path);
  // The engine's settings from these options; `trust` and these options must outlive the engine.
  // Concurrency is lowered to what the open-file limit allows.
  [[nodiscard]] engine::EngineOptions engine_options(const probes::tls::TrustStore& trust) const;
};

// Adds the shared options to a subcommand, storing into `options` (which must outlive `app`).
void add_scan_options(CLI::App& app, ScanOptions& options);

}  // namespace mx::cli
