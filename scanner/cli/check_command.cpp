#include "scanner/cli/check_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <variant>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>

#include "judge/domain_rules.hpp"
#include "reports/domain_json.hpp"
#include "reports/domain_text.hpp"
#include "scanner/cli/exit_code.hpp"
#include "scanner/dns/domain_name.hpp"
#include "scanner/engine/bounded_run.hpp"
#include "scanner/engine/observe_domain.hpp"

namespace mx::cli {
namespace {

namespace asio = boost::asio;

// `env` and `result` belong to run_check's frame, which outlives the io_context run.
asio::awaitable<void> check_one(engine::ScanEnv& env, std::string domain,
                                std::optional<judge::DomainResult>& result) {
  auto observed = co_await engine::observe_domain(env, std::move(domain));
  result = judge::judge_domain(observed);
}

std::optional<probes::tls::TrustStore> load_trust(const ScanOptions& options) {
  try {
    return options.ca_file.empty() ? probes::tls::TrustStore::system()
                                   : probes::tls::TrustStore::from_file(options.ca_file);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("mxscan check: {}\n", e.what());
    return std::nullopt;
  }
}

}  // namespace

void add_check_arguments(CLI::App& app, CheckArgs& args) {
  app.add_option("domains", args.domains, "mail domains")->required()->type_name("DOMAIN");
}

int run_check(const ScanOptions& options, const CheckArgs& args) {
  std::vector<std::string> domains;
  for (const auto& input : args.domains) {
    auto normalised = dns::normalise_domain(input);
    if (const auto* invalid = std::get_if<dns::InvalidName>(&normalised)) {
      std::cerr << fmt::format("mxscan check: '{}' is not a mail domain: {}\n", input,
                               invalid->reason);
      return exit_usage;
    }
    domains.push_back(std::get<std::string>(std::move(normalised)));
  }
  auto trust = load_trust(options);
  if (!trust) {
    return exit_usage;
  }

  asio::io_context io(1);
  dns::ResolverOptions resolver_options;
  resolver_options.servers = options.resolvers();
  resolver_options.timeout = options.timeout();
  dns::Resolver resolver(io, std::move(resolver_options));
  probes::tls::TlsClient tls;
  engine::EndpointCache endpoints;
  probes::smtp::ProbeConfig probe;
  probe.port = options.smtp_port;
  probe.ehlo_name = options.ehlo_name();
  probe.step_timeout = options.timeout();
  probe.greeting_timeout = options.greeting_timeout();
  probe.allow_private = options.allow_private;
  engine::ScanEnv env{resolver, tls, *trust, probe, endpoints};

  std::vector<std::optional<judge::DomainResult>> results(domains.size());
  engine::run_bounded(io, domains.size(), options.concurrency,
                      [&](std::size_t i) { return check_one(env, domains[i], results[i]); });

  bool any_fail = false;
  bool any_error = false;
  const reports::TextStyle style{.colour = isatty(STDOUT_FILENO) == 1};
  for (const auto& result : results) {
    const auto& domain = result.value();  // every job ran to completion
    any_fail = any_fail || domain.status == judge::Status::fail;
    any_error = any_error || domain.status == judge::Status::error;
    const auto text = options.json ? boost::json::serialize(reports::domain_json(domain)) + "\n"
                                   : reports::domain_text(domain, style);
    std::fputs(text.c_str(), stdout);
  }
  std::fflush(stdout);
  if (any_fail) {
    return exit_fail;
  }
  return any_error ? exit_error : exit_pass;
}

}  // namespace mx::cli
