#include "scanner/engine/observe_domain.hpp"

#include <algorithm>

namespace mx::engine {

namespace asio = boost::asio;

namespace {

asio::awaitable<void> observe_host(ScanEnv& env, probes::HostObservation& host, int attempt) {
  auto a = co_await env.resolver.a(host.mx.host);
  host.a = std::move(a);
  auto aaaa = co_await env.resolver.aaaa(host.mx.host);
  host.aaaa = std::move(aaaa);

  std::vector<asio::ip::address> addresses = host.a.addresses;
  addresses.insert(addresses.end(), host.aaaa.addresses.begin(), host.aaaa.addresses.end());
  if (addresses.size() > kMaxAddressesPerHost) {
    addresses.resize(kMaxAddressesPerHost);
  }
  for (const auto& ip : addresses) {
    auto observed = co_await env.endpoints.observe(host.mx.host, ip, attempt);
    host.addresses.push_back(std::move(observed));
  }
}

}  // namespace

asio::awaitable<probes::DomainObservation> observe_domain(ScanEnv& env, std::string domain,
                                                          int attempt) {
  probes::DomainObservation out;
  out.domain = domain;
  auto mx = co_await env.resolver.mx(domain);
  out.mx = std::move(mx);

  if (out.mx.meta.outcome == dns::Outcome::nodata) {
    out.implicit_mx = true;
    out.hosts.emplace_back().mx = {0, domain};
  } else if (out.mx.meta.outcome == dns::Outcome::data && !out.mx.null_mx()) {
    for (const auto& record : out.mx.records) {
      const bool seen = std::any_of(out.hosts.begin(), out.hosts.end(),
                                    [&](const auto& h) { return h.mx.host == record.host; });
      if (!record.host.empty() && !seen && out.hosts.size() < kMaxHosts) {
        out.hosts.emplace_back().mx = record;
      }
    }
  }
  for (auto& host : out.hosts) {
    co_await observe_host(env, host, attempt);
  }
  co_return out;
}

}  // namespace mx::engine
