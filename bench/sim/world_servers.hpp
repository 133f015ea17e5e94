#pragma once
// Serving a planned world: the key pool its leaves share (kept on disk with the PKI, so a world
// that restarts keeps its TLSA records right), and the host tables that tell the SMTP and HTTPS
// listeners which planned host a connection reached, by its local address. Leaf certificates are
// made in memory when a host is first reached (a bounded cache keeps the recent ones), so a
// 100,000-domain world starts without making 100,000 certificates.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <unordered_map>
#include <vector>

#include "bench/sim/world_plan.hpp"
#include "tests/world/https_server.hpp"
#include "tests/world/pki.hpp"
#include "tests/world/smtp_server.hpp"

namespace mx::sim {

class KeyPool {
 public:
  // Loads the pool kept under `dir` (ec-N.key, rsa-N.key), generating and keeping what is missing.
  explicit KeyPool(const std::filesystem::path& dir);

  [[nodiscard]] EVP_PKEY* key(bool rsa, std::uint32_t slot) const;
  // SHA-256 of the key's DER SubjectPublicKeyInfo (TLSA 3 1 1).
  [[nodiscard]] std::vector<std::uint8_t> spki_sha256(bool rsa, std::uint32_t slot) const;

 private:
  std::vector<world::KeyPtr> ec_;
  std::vector<world::KeyPtr> rsa_;
};

// Where each served address leads: built once, shared (read-only) by every thread's tables.
struct WorldIndex {
  explicit WorldIndex(const WorldPlan& plan);
  const WorldPlan& plan;
  std::unordered_map<std::uint32_t, const MailHost*> smtp;        // IPv4 as a number
  std::unordered_map<std::uint32_t, const PlannedDomain*> https;  // mta-sts.<domain> addresses
};

// Leaves of the world's hosts, made on demand; one per thread (not thread-safe).
class LeafFactory {
 public:
  LeafFactory(const world::Pki& pki, const KeyPool& keys) : pki_(pki), keys_(keys) {}
  // The identity served by a mail host (its fault decides issuer, validity and names).
  world::TlsIdentity mail_host(const MailHost& host);
  // The identity served by mta-sts.<domain> (expired for MtaSts::certificate).
  world::TlsIdentity policy_host(const PlannedDomain& domain);

 private:
  world::TlsIdentity make(const world::LeafSpec& spec, bool rsa, std::uint32_t slot);
  const world::Pki& pki_;
  const KeyPool& keys_;
  std::unordered_map<const void*, world::TlsIdentity> cache_;
};

// The script of a planned mail host, as SmtpServer's many-host mode plays it.
[[nodiscard]] world::SmtpHost smtp_host(const MailHost& host, LeafFactory& leaves);
// The response and identity of a domain's policy host.
[[nodiscard]] world::HttpsHost https_host(const PlannedDomain& domain, LeafFactory& leaves);

class SmtpTable : public world::SmtpHosts {
 public:
  SmtpTable(std::shared_ptr<const WorldIndex> index, const world::Pki& pki, const KeyPool& keys)
      : index_(std::move(index)), leaves_(pki, keys) {}
  std::optional<world::SmtpHost> host(const boost::asio::ip::address& local) override;

 private:
  std::shared_ptr<const WorldIndex> index_;
  LeafFactory leaves_;
};

class HttpsTable : public world::HttpsHosts {
 public:
  HttpsTable(std::shared_ptr<const WorldIndex> index, const world::Pki& pki, const KeyPool& keys)
      : index_(std::move(index)), leaves_(pki, keys) {}
  std::optional<world::HttpsHost> host(const boost::asio::ip::address& local) override;

 private:
  std::shared_ptr<const WorldIndex> index_;
  LeafFactory leaves_;
};

}  // namespace mx::sim
