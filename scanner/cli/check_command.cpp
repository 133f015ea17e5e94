#include "scanner/cli/check_command.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <variant>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>

#include "list/pattern.hpp"
#include "reports/domain_json.hpp"
#include "reports/domain_text.hpp"
#include "scanner/cli/exit_code.hpp"
#include "scanner/cli/trust.hpp"
#include "scanner/dns/domain_name.hpp"
#include "scanner/engine/engine.hpp"

namespace mx::cli {

void add_check_arguments(CLI::App& app, CheckArgs& args) {
  app.add_option("domains", args.domains, "mail domains")->required()->type_name("DOMAIN");
  app.add_option("--policy-mxs", args.policy_mxs,
                 "judge against a list entry with these patterns (comma-separated)")
      ->delimiter(',')
      ->type_name("PATTERN,...");
  app.add_option("--policy-mode", args.policy_mode, "the entry's mode with --policy-mxs")
      ->check(CLI::IsMember({"testing", "enforce"}));
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
  std::optional<judge::ListPolicy> policy;
  if (!args.policy_mxs.empty()) {
    policy.emplace();
    policy->mode = list::parse_mode(args.policy_mode).value_or(list::Mode::testing);
    for (const auto& pattern : args.policy_mxs) {
      const auto canonical = list::normalise_pattern(pattern);
      if (!canonical) {
        std::cerr << fmt::format("mxscan check: --policy-mxs: '{}' is not a pattern\n", pattern);
        return exit_usage;
      }
      policy->mxs.push_back(*canonical);
    }
  }
  const std::vector<std::optional<judge::ListPolicy>> policies(policy ? domains.size() : 0, policy);
  const auto trust = load_trust("check", options);
  if (!trust || !options.check_open_files("check")) {
    return exit_usage;
  }

  std::vector<std::optional<judge::DomainResult>> results(domains.size());
  engine::Engine engine(options.engine_options(*trust));
  engine.run(
      domains,
      [&](engine::DomainOutcome&& outcome) { results[outcome.index] = std::move(outcome.result); },
      {}, policies);

  bool any_fail = false;
  bool any_error = false;
  const reports::TextStyle style{.colour = isatty(STDOUT_FILENO) == 1};
  for (const auto& result : results) {
    const auto& domain = result.value();  // run() returns once every domain is reported
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
