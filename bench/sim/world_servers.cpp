#include "bench/sim/world_servers.hpp"

#include <vector>

namespace mx::sim {
namespace {

std::uint32_t ipv4_number(const std::string& text) {
  return boost::asio::ip::make_address_v4(text).to_uint();
}

}  // namespace

WorldIndex::WorldIndex(const WorldPlan& world, const world::Pki& pki, const KeyPool& keys,
                       const std::filesystem::path& leaves, LeafCacheStats* stats)
    : plan(world) {
  std::vector<LeafRequest> requests;
  // Where each request's identity goes. Map nodes never move: the pointers stay valid while the
  // maps grow.
  std::vector<std::optional<world::TlsIdentity>*> owners;
  const auto add_host = [&](const MailHost& host) {
    auto& entry = smtp.emplace(ipv4_number(host.ipv4), Smtp{&host, std::nullopt}).first->second;
    if (serves_tls(host.fault)) {
      requests.push_back(mail_leaf(host));
      owners.push_back(&entry.identity);
    }
  };
  for (const auto& provider : plan.providers) {
    for (const auto& host : provider) {
      add_host(host);
    }
  }
  for (const auto& domain : plan.domains) {
    if (domain.provider < 0 && domain.shape != DnsShape::servfail) {
      for (const auto& host : domain.hosts) {
        if (!host.ipv4.empty()) {
          add_host(host);
        }
      }
    }
  }
  std::vector<Https*> policies;
  for (const auto& domain : plan.domains) {
    if (!domain.sts_ip.empty()) {
      auto& entry = https.emplace(ipv4_number(domain.sts_ip), Https{&domain, {}}).first->second;
      requests.push_back(policy_leaf(domain));
      policies.push_back(&entry);
    }
  }
  auto identities = make_leaves(requests, pki, keys, leaves, stats);
  std::size_t next = 0;
  for (auto* owner : owners) {
    *owner = std::move(identities[next++]);
  }
  for (auto* policy : policies) {
    policy->identity = std::move(identities[next++]);
  }
}

world::SmtpHost smtp_host(const MailHost& host, std::optional<world::TlsIdentity> identity) {
  world::SmtpHost out;
  out.identity = std::move(identity);
  auto& behaviour = out.behaviour;
  behaviour.greeting = world::smtp_reply(220, {host.name + " ESMTP mxsim"});
  behaviour.greeting.delay = std::chrono::milliseconds(host.greeting_delay_ms);
  behaviour.ehlo =
      world::ehlo_reply({"PIPELINING", "SIZE 10240000", "STARTTLS", "8BITMIME"}, host.name);
  behaviour.ehlo_after_tls =
      world::ehlo_reply({"PIPELINING", "SIZE 10240000", "8BITMIME"}, host.name);
  behaviour.helo = world::smtp_reply(250, {host.name});
  switch (host.fault) {
    case SmtpFault::banner_rejected:
      behaviour.greeting = world::smtp_reply(554, {"5.7.1 " + host.name + " no service for you"});
      break;
    case SmtpFault::temporary:
      behaviour.greeting = world::smtp_reply(421, {"4.3.2 " + host.name + " busy, try later"});
      break;
    case SmtpFault::protocol:
      behaviour.greeting =
          world::raw_response("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
      behaviour.greeting.close_after = true;
      break;
    case SmtpFault::tarpit:
      behaviour.greeting = world::silent_response();
      break;
    case SmtpFault::not_advertised:
      behaviour.ehlo = world::ehlo_reply({"PIPELINING", "SIZE 10240000", "8BITMIME"}, host.name);
      break;
    case SmtpFault::starttls_rejected:
      behaviour.starttls = world::smtp_reply(554, {"5.7.0 TLS not available to you"});
      break;
    case SmtpFault::starttls_temporary:
      break;  // it has no identity (serves_tls): the server answers 454
    case SmtpFault::handshake_failed:
      behaviour.garbage_instead_of_tls = "this is not TLS\r\n";
      break;
    case SmtpFault::outdated:
      out.max_version = world::TlsVersion::tls1_1;
      break;
    default:
      break;
  }
  return out;
}

world::HttpsHost https_host(const PlannedDomain& domain, world::TlsIdentity identity) {
  world::HttpsHost out;
  out.identity = std::move(identity);
  switch (domain.mta_sts) {
    case MtaSts::http_status:
      out.response = world::HttpsResponse::error(404);
      break;
    case MtaSts::redirect:
      out.response = world::HttpsResponse::redirect(
          301, "https://mta-sts.elsewhere.test/.well-known/mta-sts.txt");
      break;
    case MtaSts::too_large:
      out.response = world::HttpsResponse::oversized(128 * 1024);
      break;
    case MtaSts::content_type:
      out.response = world::HttpsResponse::policy(policy_text(domain));
      out.response.content_type = "text/html";
      break;
    default:
      out.response = world::HttpsResponse::policy(policy_text(domain));
      break;
  }
  return out;
}

std::optional<world::SmtpHost> SmtpTable::host(const boost::asio::ip::address& local) {
  if (!local.is_v4()) {
    return std::nullopt;
  }
  const auto found = index_->smtp.find(local.to_v4().to_uint());
  if (found == index_->smtp.end()) {
    return std::nullopt;
  }
  return smtp_host(*found->second.host, found->second.identity);
}

std::optional<world::HttpsHost> HttpsTable::host(const boost::asio::ip::address& local) {
  if (!local.is_v4()) {
    return std::nullopt;
  }
  const auto found = index_->https.find(local.to_v4().to_uint());
  if (found == index_->https.end()) {
    return std::nullopt;
  }
  return https_host(*found->second.domain, found->second.identity);
}

}  // namespace mx::sim
