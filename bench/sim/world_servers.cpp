#include "bench/sim/world_servers.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace mx::sim {
namespace {

// A bounded cache: the providers' hosts stay hot; a self-hosted host is usually reached once.
constexpr std::size_t max_cached_leaves = 4096;

world::KeyPtr read_or_make(const std::filesystem::path& file, world::KeyType type) {
  if (BIO* in = BIO_new_file(file.c_str(), "r")) {
    world::KeyPtr key(PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr));
    BIO_free(in);
    if (key) {
      return key;
    }
  }
  world::KeyPtr key = world::generate_key(type);
  BIO* out = BIO_new_file(file.c_str(), "w");
  if (out == nullptr ||
      PEM_write_bio_PKCS8PrivateKey(out, key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    BIO_free(out);
    throw std::runtime_error("mxsim: cannot write " + file.string());
  }
  BIO_free(out);
  return key;
}

std::uint32_t ipv4_number(const std::string& text) {
  return boost::asio::ip::make_address_v4(text).to_uint();
}

}  // namespace

KeyPool::KeyPool(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  for (std::uint32_t i = 0; i < ec_key_slots; ++i) {
    ec_.push_back(read_or_make(dir / fmt::format("ec-{}.key", i), world::KeyType::ecdsa_p256));
  }
  for (std::uint32_t i = 0; i < rsa_key_slots; ++i) {
    rsa_.push_back(read_or_make(dir / fmt::format("rsa-{}.key", i), world::KeyType::rsa_2048));
  }
}

EVP_PKEY* KeyPool::key(bool rsa, std::uint32_t slot) const {
  return rsa ? rsa_.at(slot % rsa_.size()).get() : ec_.at(slot % ec_.size()).get();
}

std::vector<std::uint8_t> KeyPool::spki_sha256(bool rsa, std::uint32_t slot) const {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key(rsa, slot), &der);
  if (size <= 0) {
    throw std::runtime_error("mxsim: cannot encode a public key");
  }
  std::vector<std::uint8_t> digest(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  const int ok = EVP_Digest(der, static_cast<std::size_t>(size), digest.data(), &length,
                            EVP_sha256(), nullptr);
  OPENSSL_free(der);
  if (ok != 1) {
    throw std::runtime_error("mxsim: SHA-256 failed");
  }
  digest.resize(length);
  return digest;
}

WorldIndex::WorldIndex(const WorldPlan& world) : plan(world) {
  for (const auto& provider : plan.providers) {
    for (const auto& host : provider) {
      smtp.emplace(ipv4_number(host.ipv4), &host);
    }
  }
  for (const auto& domain : plan.domains) {
    if (domain.provider < 0 && domain.shape != DnsShape::servfail) {
      for (const auto& host : domain.hosts) {
        if (!host.ipv4.empty()) {
          smtp.emplace(ipv4_number(host.ipv4), &host);
        }
      }
    }
    if (!domain.sts_ip.empty()) {
      https.emplace(ipv4_number(domain.sts_ip), &domain);
    }
  }
}

world::TlsIdentity LeafFactory::make(const world::LeafSpec& spec, bool rsa, std::uint32_t slot) {
  const world::Leaf leaf = pki_.issue_in_memory(spec, keys_.key(rsa, slot));
  world::TlsIdentity identity;
  identity.leaf = world::share(leaf.cert.get());
  identity.key = world::share(leaf.key.get());
  if (spec.issuer == world::Issuer::intermediate) {
    identity.chain.push_back(world::share(pki_.intermediate()));
  }
  return identity;
}

world::TlsIdentity LeafFactory::mail_host(const MailHost& host) {
  if (const auto found = cache_.find(&host); found != cache_.end()) {
    return found->second;
  }
  world::LeafSpec spec;
  spec.dns_names = {host.name};
  spec.common_name = host.name;
  switch (host.fault) {
    case SmtpFault::untrusted:
      spec.issuer = world::Issuer::unrelated_root;
      break;
    case SmtpFault::expired:
      spec.valid_from = -std::chrono::hours(24 * 400);
      spec.valid_until = -std::chrono::hours(24 * 30);
      break;
    case SmtpFault::not_yet_valid:
      spec.valid_from = std::chrono::hours(24 * 30);
      spec.valid_until = std::chrono::hours(24 * 400);
      break;
    case SmtpFault::name_mismatch:
      spec.dns_names = {"mail.elsewhere.test"};
      spec.common_name = "mail.elsewhere.test";
      break;
    default:
      break;
  }
  if (cache_.size() >= max_cached_leaves) {
    cache_.clear();
  }
  return cache_.emplace(&host, make(spec, host.rsa, host.key_slot)).first->second;
}

world::TlsIdentity LeafFactory::policy_host(const PlannedDomain& domain) {
  if (const auto found = cache_.find(&domain); found != cache_.end()) {
    return found->second;
  }
  world::LeafSpec spec;
  spec.dns_names = {"mta-sts." + domain.name};
  spec.common_name = spec.dns_names.front();
  if (domain.mta_sts == MtaSts::certificate) {
    spec.valid_from = -std::chrono::hours(24 * 400);
    spec.valid_until = -std::chrono::hours(24 * 30);
  }
  if (cache_.size() >= max_cached_leaves) {
    cache_.clear();
  }
  return cache_.emplace(&domain, make(spec, false, domain.sts_id)).first->second;
}

world::SmtpHost smtp_host(const MailHost& host, LeafFactory& leaves) {
  world::SmtpHost out;
  auto& behaviour = out.behaviour;
  behaviour.greeting = world::smtp_reply(220, {host.name + " ESMTP mxsim"});
  behaviour.greeting.delay = std::chrono::milliseconds(host.greeting_delay_ms);
  behaviour.ehlo =
      world::ehlo_reply({"PIPELINING", "SIZE 10240000", "STARTTLS", "8BITMIME"}, host.name);
  behaviour.ehlo_after_tls =
      world::ehlo_reply({"PIPELINING", "SIZE 10240000", "8BITMIME"}, host.name);
  behaviour.helo = world::smtp_reply(250, {host.name});
  bool tls = true;
  switch (host.fault) {
    case SmtpFault::banner_rejected:
      behaviour.greeting = world::smtp_reply(554, {"5.7.1 " + host.name + " no service for you"});
      tls = false;
      break;
    case SmtpFault::temporary:
      behaviour.greeting = world::smtp_reply(421, {"4.3.2 " + host.name + " busy, try later"});
      tls = false;
      break;
    case SmtpFault::protocol:
      behaviour.greeting =
          world::raw_response("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
      behaviour.greeting.close_after = true;
      tls = false;
      break;
    case SmtpFault::tarpit:
      behaviour.greeting = world::silent_response();
      tls = false;
      break;
    case SmtpFault::not_advertised:
      behaviour.ehlo = world::ehlo_reply({"PIPELINING", "SIZE 10240000", "8BITMIME"}, host.name);
      tls = false;
      break;
    case SmtpFault::starttls_rejected:
      behaviour.starttls = world::smtp_reply(554, {"5.7.0 TLS not available to you"});
      break;
    case SmtpFault::starttls_temporary:
      tls = false;  // without an identity the server answers 454
      break;
    case SmtpFault::handshake_failed:
      behaviour.garbage_instead_of_tls = "this is not TLS\r\n";
      tls = false;
      break;
    case SmtpFault::outdated:
      out.max_version = world::TlsVersion::tls1_1;
      break;
    default:
      break;
  }
  if (tls) {
    out.identity = leaves.mail_host(host);
  }
  return out;
}

world::HttpsHost https_host(const PlannedDomain& domain, LeafFactory& leaves) {
  world::HttpsHost out;
  out.identity = leaves.policy_host(domain);
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
  return smtp_host(*found->second, leaves_);
}

std::optional<world::HttpsHost> HttpsTable::host(const boost::asio::ip::address& local) {
  if (!local.is_v4()) {
    return std::nullopt;
  }
  const auto found = index_->https.find(local.to_v4().to_uint());
  if (found == index_->https.end()) {
    return std::nullopt;
  }
  return https_host(*found->second, leaves_);
}

}  // namespace mx::sim
