#include "scanner/engine/observe_domain.hpp"

#include <algorithm>
#include <cctype>
#include <exception>
#include <string_view>
#include <tuple>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "probes/mta_sts/txt_record.hpp"
#include "scanner/engine/connection_rate.hpp"
#include "scanner/net/deadline.hpp"

namespace mx::engine {

namespace asio = boost::asio;

namespace {

// RFC 8461 §3.3 suggests a minute for the whole fetch; with the default 10 s step, six steps are
// that minute, and a shorter --timeout shortens the fetch alike.
constexpr int kFetchBudgetSteps = 6;

constexpr std::string_view kBudgetSpent = "the domain's mail hosts used up their budget";

dns::AnswerMeta not_asked() {
  dns::AnswerMeta meta;
  meta.outcome = dns::Outcome::timeout;
  meta.detail = fmt::format("not asked: {}", kBudgetSpent);
  return meta;
}

probes::AddressObservation not_probed(const std::string& host, const asio::ip::address& ip) {
  probes::AddressObservation out;
  out.smtp.host = host;
  out.smtp.ip = ip;
  out.smtp.stage = probes::smtp::Stage::not_started;
  out.smtp.ending = probes::smtp::Ending::timeout;
  out.smtp.detail = fmt::format("not probed: {}", kBudgetSpent);
  return out;
}

// The exclude list's entry covering a name from a DNS answer (any case, maybe a trailing dot).
std::optional<targets::ExcludeEntry> excluded_name(const targets::ExcludeList* exclude,
                                                   std::string_view name) {
  if (exclude == nullptr) {
    return std::nullopt;
  }
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  std::string canonical(name);
  std::transform(canonical.begin(), canonical.end(), canonical.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return exclude->match(std::string_view(canonical));
}

probes::AddressObservation excluded_address(const std::string& host, const asio::ip::address& ip,
                                            const targets::ExcludeEntry& entry) {
  probes::AddressObservation out;
  out.smtp.host = host;
  out.smtp.ip = ip;
  out.smtp.stage = probes::smtp::Stage::not_started;
  out.smtp.ending = probes::smtp::Ending::excluded;
  out.smtp.detail = targets::describe(entry);
  return out;
}

// A mail host's A, AAAA and TLSA answers.
asio::awaitable<void> ask_host(dns::Resolver& resolver, probes::HostObservation& host) {
  auto a = co_await resolver.a(host.mx.host);
  host.a = std::move(a);
  auto aaaa = co_await resolver.aaaa(host.mx.host);
  host.aaaa = std::move(aaaa);
  auto tlsa = co_await resolver.tlsa("_25._tcp." + host.mx.host);
  host.tlsa = std::move(tlsa);
}

// The MX answer and the mail hosts it names (the domain itself for an implicit MX).
asio::awaitable<void> ask_mx(dns::Resolver& resolver, probes::DomainObservation& out) {
  auto mx = co_await resolver.mx(out.domain);
  out.mx = std::move(mx);
  out.implicit_mx = out.mx.meta.outcome == dns::Outcome::nodata;
  for (auto& record : dns::mail_hosts(out.mx, out.domain, kMaxHosts)) {
    out.hosts.emplace_back().mx = std::move(record);
  }
}

// `budget` belongs to observe_hosts' frame, which outlives this coroutine.
asio::awaitable<void> observe_host(ScanEnv& env, probes::HostObservation& host, int attempt,
                                   net::SpentBudget& budget) {
  host.excluded = excluded_name(env.exclude, host.mx.host);
  if (host.excluded) {
    co_return;
  }
  if (budget.spent()) {
    host.a.meta = not_asked();
    host.aaaa.meta = not_asked();
    host.tlsa.meta = not_asked();
    co_return;
  }
  const auto asked = net::Clock::now();
  co_await ask_host(env.resolver, host);
  budget.charge(net::Clock::now() - asked);

  std::vector<asio::ip::address> addresses = host.a.addresses;
  addresses.insert(addresses.end(), host.aaaa.addresses.begin(), host.aaaa.addresses.end());
  if (addresses.size() > kMaxAddressesPerHost) {
    addresses.resize(kMaxAddressesPerHost);
  }
  for (const auto& ip : addresses) {
    if (const auto entry = env.exclude ? env.exclude->match(ip) : std::nullopt) {
      host.addresses.push_back(excluded_address(host.mx.host, ip, *entry));
      continue;
    }
    if (budget.spent()) {
      host.addresses.push_back(not_probed(host.mx.host, ip));
      continue;
    }
    auto observed = co_await env.endpoints.observe(host.mx.host, ip, attempt);
    budget.charge(observed->smtp.elapsed);
    host.addresses.push_back(*observed);
  }
}

// The MX answer and every mail host it names, one after the other within env.hosts_budget.
asio::awaitable<void> observe_hosts(ScanEnv& env, probes::DomainObservation& out, int attempt) {
  co_await ask_mx(env.resolver, out);
  net::SpentBudget budget(env.hosts_budget);
  for (auto& host : out.hosts) {
    co_await observe_host(env, host, attempt, budget);
  }
}

// The _mta-sts TXT record and, when it names a policy (exactly one valid record), the policy.
asio::awaitable<void> observe_mta_sts(ScanEnv& env, probes::DomainObservation& out) {
  auto txt = co_await env.resolver.txt("_mta-sts." + out.domain);
  out.mta_sts_txt = std::move(txt);
  if (out.mta_sts_txt.meta.outcome != dns::Outcome::data ||
      !probes::mta_sts::parse_txt_record(out.mta_sts_txt.records)) {
    co_return;
  }
  const auto& settings = env.policy_fetch;
  probes::mta_sts::FetchConfig config;
  config.domain = out.domain;
  config.https_port = settings.https_port;
  config.step_timeout = settings.step_timeout;
  config.budget = settings.step_timeout * kFetchBudgetSteps;
  config.allow_private = settings.allow_private;
  config.exclude = env.exclude;
  if (!excluded_name(env.exclude, probes::mta_sts::policy_host(out.domain))) {
    // The turn is taken before the fetch's budget starts (a fetch whose first address fails tries
    // the next one without another: the limit counts fetches, nearly always one connection each).
    co_await wait_turn(env.rate);
  }
  co_await probes::mta_sts::fetch_policy(std::move(config), env.tls, env.trust, env.resolver,
                                         out.policy_fetch.emplace());
}

asio::awaitable<void> observe_tlsrpt(ScanEnv& env, probes::DomainObservation& out) {
  auto txt = co_await env.resolver.txt("_smtp._tls." + out.domain);
  out.tlsrpt_txt = std::move(txt);
}

}  // namespace

asio::awaitable<probes::DomainObservation> observe_domain(ScanEnv& env, std::string domain,
                                                          int attempt) {
  probes::DomainObservation out;
  out.domain = domain;
  out.observed_at = std::chrono::system_clock::now();
  out.excluded = excluded_name(env.exclude, out.domain);
  if (out.excluded) {
    co_return out;
  }

  // The three parts share nothing but `out`, each writing its own members, on this one thread.
  auto executor = co_await asio::this_coro::executor;
  auto ended = co_await asio::experimental::make_parallel_group(
                   asio::co_spawn(executor, observe_hosts(env, out, attempt), asio::deferred),
                   asio::co_spawn(executor, observe_mta_sts(env, out), asio::deferred),
                   asio::co_spawn(executor, observe_tlsrpt(env, out), asio::deferred))
                   .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
  // Only a cancellation ends a part with an exception; it ends the observation too.
  for (const auto& error : {std::get<1>(ended), std::get<2>(ended), std::get<3>(ended)}) {
    if (error) {
      std::rethrow_exception(error);
    }
  }
  co_return out;
}

asio::awaitable<probes::DomainObservation> look_up_domain(dns::Resolver& resolver,
                                                          const targets::ExcludeList* exclude,
                                                          std::string domain) {
  probes::DomainObservation out;
  out.domain = std::move(domain);
  out.observed_at = std::chrono::system_clock::now();
  out.excluded = excluded_name(exclude, out.domain);
  if (out.excluded) {
    co_return out;
  }
  co_await ask_mx(resolver, out);
  for (auto& host : out.hosts) {
    host.excluded = excluded_name(exclude, host.mx.host);
    if (!host.excluded) {
      co_await ask_host(resolver, host);
    }
  }
  auto mta_sts = co_await resolver.txt("_mta-sts." + out.domain);
  out.mta_sts_txt = std::move(mta_sts);
  auto tlsrpt = co_await resolver.txt("_smtp._tls." + out.domain);
  out.tlsrpt_txt = std::move(tlsrpt);
  co_return out;
}

}  // namespace mx::engine
