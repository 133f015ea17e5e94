#include "scanner/engine/store_rows.hpp"

#include <chrono>
#include <ctime>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "reports/domain_json.hpp"

namespace mx::engine {
namespace {

void add_checks(store::DomainRow& row, const std::vector<judge::Check>& checks,
                const std::string& subject, const std::string& host, const std::string& ip) {
  for (const auto& check : checks) {
    row.checks.push_back({subject, host, ip, check.check,
                          std::string(judge::to_string(check.status)), check.code, check.message});
  }
}

std::optional<store::CertificateRow> certificate_row(const probes::AddressObservation& address) {
  const auto& tls = address.smtp.tls;
  if (!address.certificate || !address.certificate->parsed || !tls || tls->chain.empty()) {
    return std::nullopt;
  }
  const auto& c = *address.certificate;
  boost::json::array san;
  for (const auto& name : c.san_dns) {
    san.emplace_back(name);
  }
  return store::CertificateRow{
      c.sha256,     tls->chain.front(), c.subject,  c.issuer,   boost::json::serialize(san),
      c.not_before, c.not_after,        c.key_type, c.key_bits, c.signature_algorithm};
}

store::EndpointRow endpoint_row(const probes::AddressObservation& address) {
  const auto& o = address.smtp;
  store::EndpointRow e;
  e.ip = o.ip.to_string();
  e.port = o.port;
  e.host = o.host;
  e.stage = std::string(probes::smtp::to_string(o.stage));
  e.ending = std::string(probes::smtp::to_string(o.ending));
  e.detail = o.detail;
  if (o.greeting && !o.greeting->lines.empty()) {
    e.banner = fmt::format("{} {}", o.greeting->code, o.greeting->lines.front());
  }
  e.starttls = o.capabilities && o.capabilities->starttls();
  if (o.tls && o.tls->version_number != 0) {
    e.tls_version = o.tls->version;
    e.tls_cipher = o.tls->cipher;
    if (!o.tls->group.empty()) {
      e.tls_group = o.tls->group;
    }
  }
  e.certificate = certificate_row(address);
  e.elapsed_ms = o.elapsed.count();
  return e;
}

std::optional<store::MtaStsPolicyRow> mta_sts_row(const DomainOutcome& outcome) {
  const auto& facts = outcome.result.mta_sts;
  if (!facts) {
    return std::nullopt;
  }
  store::MtaStsPolicyRow row;
  row.record_id = facts->id;
  if (facts->policy) {
    const auto& policy = *facts->policy;
    row.mode = policy.mode;
    row.max_age = policy.max_age;
    boost::json::array mx;
    for (const auto& pattern : policy.mx) {
      mx.emplace_back(pattern);
    }
    row.mx_json = boost::json::serialize(mx);
  }
  const auto& fetch = outcome.observation.policy_fetch;
  if (fetch && fetch->policy) {  // the body was read whole
    row.body = fetch->body;
  }
  return row;
}

}  // namespace

store::DomainRow to_row(const DomainOutcome& outcome, const std::string& scanned_at) {
  const auto& result = outcome.result;
  store::DomainRow row;
  row.domain = result.domain;
  row.status = std::string(judge::to_string(result.status));
  row.scanned_at = scanned_at;
  row.attempts = outcome.attempts;
  row.result_json = boost::json::serialize(reports::domain_json(result));
  add_checks(row, result.checks, "domain", "", "");
  for (const auto& host : result.mx) {
    row.hosts.push_back({host.host, host.preference, std::string(judge::to_string(host.status))});
    add_checks(row, host.checks, "host", host.host, "");
    for (const auto& address : host.addresses) {
      const auto ip = address.ip.to_string();
      row.addresses.push_back({host.host, ip, std::string(judge::to_string(address.status))});
      add_checks(row, address.checks, "address", host.host, ip);
    }
  }
  for (const auto& host : outcome.observation.hosts) {
    for (const auto& address : host.addresses) {
      // Only a probe makes an endpoint: a forbidden address, or one left when the domain's
      // budget ran out, was never connected to.
      if (address.smtp.stage != probes::smtp::Stage::not_started) {
        row.endpoints.push_back(endpoint_row(address));
      }
    }
  }
  row.mta_sts = mta_sts_row(outcome);
  return row;
}

std::string utc_now() {
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

}  // namespace mx::engine
