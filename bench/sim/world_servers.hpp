#pragma once
// Serving a planned world: the host tables that tell the SMTP and HTTPS listeners which planned
// host a connection reached, by its local address, and what that host serves there. Every leaf
// certificate is made (or loaded from the world's leaf cache, see leaves.hpp) when the index is
// built, before the world is served: a connection only ever gets a ready identity.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <unordered_map>

#include "bench/sim/leaves.hpp"
#include "bench/sim/world_plan.hpp"
#include "tests/world/https_server.hpp"
#include "tests/world/pki.hpp"
#include "tests/world/smtp_server.hpp"

namespace mx::sim {

// Where each served address leads: built once, then shared (read-only) by every thread's tables.
struct WorldIndex {
  // `plan` must outlive the index. Leaves come from make_leaves with the cache file `leaves`;
  // `stats`, when given, receives its figures. Throws like make_leaves.
  WorldIndex(const WorldPlan& plan, const world::Pki& pki, const KeyPool& keys,
             const std::filesystem::path& leaves, LeafCacheStats* stats = nullptr);

  struct Smtp {
    const MailHost* host = nullptr;
    std::optional<world::TlsIdentity> identity;  // set for a host that serves TLS (serves_tls)
  };
  struct Https {
    const PlannedDomain* domain = nullptr;
    world::TlsIdentity identity;
  };
  const WorldPlan& plan;
  std::unordered_map<std::uint32_t, Smtp> smtp;    // IPv4 as a number
  std::unordered_map<std::uint32_t, Https> https;  // mta-sts.<domain> addresses
};

// The script of a planned mail host, as SmtpServer's many-host mode plays it, with its identity
// (nullopt for a host that does not serve TLS).
[[nodiscard]] world::SmtpHost smtp_host(const MailHost& host,
                                        std::optional<world::TlsIdentity> identity);
// The response of a domain's policy host, with its identity.
[[nodiscard]] world::HttpsHost https_host(const PlannedDomain& domain, world::TlsIdentity identity);

class SmtpTable : public world::SmtpHosts {
 public:
  explicit SmtpTable(std::shared_ptr<const WorldIndex> index) : index_(std::move(index)) {}
  std::optional<world::SmtpHost> host(const boost::asio::ip::address& local) override;

 private:
  std::shared_ptr<const WorldIndex> index_;
};

class HttpsTable : public world::HttpsHosts {
 public:
  explicit HttpsTable(std::shared_ptr<const WorldIndex> index) : index_(std::move(index)) {}
  std::optional<world::HttpsHost> host(const boost::asio::ip::address& local) override;

 private:
  std::shared_ptr<const WorldIndex> index_;
};

}  // namespace mx::sim
