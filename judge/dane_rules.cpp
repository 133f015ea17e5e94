#include "judge/dane_rules.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "probes/dane/tlsa_match.hpp"

namespace mx::judge {
namespace {

using dns::Outcome;

Check make(Status status, std::string code, std::string message) {
  return Check{"dane", status, std::move(code), std::move(message)};
}

// The CNAME-expanded name of the host, when its address records were reached through a CNAME.
std::string_view tlsa_base_domain(const probes::HostObservation& host) {
  for (const auto* meta : {&host.a.meta, &host.aaaa.meta}) {
    if (meta->outcome == Outcome::data && !meta->canonical_name.empty() &&
        meta->canonical_name != host.mx.host) {
      return meta->canonical_name;
    }
  }
  return {};
}

}  // namespace

Check judge_dane(const probes::HostObservation& host, const probes::smtp::Observation& smtp,
                 std::chrono::system_clock::time_point now) {
  const auto& tlsa = host.tlsa;
  const auto owner = "_25._tcp." + host.mx.host;
  switch (tlsa.meta.outcome) {
    case Outcome::data:
      if (!tlsa.records.empty()) {
        break;
      }
      [[fallthrough]];  // an empty RRset publishes nothing
    case Outcome::nxdomain:
    case Outcome::nodata:
      return make(Status::skipped, "absent", fmt::format("no TLSA record at {}", owner));
    case Outcome::timeout:
      return make(Status::error, "timeout",
                  fmt::format("no answer to the TLSA query for {} in time", owner));
    case Outcome::servfail:
    case Outcome::refused:
    case Outcome::error: {
      std::string why(dns::to_string(tlsa.meta.outcome));
      if (!tlsa.meta.detail.empty()) {
        why += " (" + tlsa.meta.detail + ")";
      }
      return make(Status::error, "dns-error",
                  fmt::format("TLSA query for {} failed: {}", owner, why));
    }
  }
  if (!tlsa.meta.authenticated) {
    return make(Status::warn, "unauthenticated",
                fmt::format("{} TLSA record{} without the DNSSEC AD bit: ignored by senders",
                            tlsa.records.size(), tlsa.records.size() == 1 ? "" : "s"));
  }
  if (!smtp.tls || smtp.tls->chain.empty()) {
    return make(Status::skipped, "no-certificate",
                "not run: no certificate was captured at this address");
  }
  const auto match = probes::dane::match_tlsa(tlsa.records, smtp.tls->chain, host.mx.host,
                                              tlsa_base_domain(host), now);
  if (match.all_unusable) {
    return make(Status::skipped, "absent",
                fmt::format("no usable TLSA record among {} (usages 2 and 3 only, RFC 7672)",
                            tlsa.records.size()));
  }
  if (match.matched) {
    return make(Status::pass, "ok",
                fmt::format("{} of {} usable TLSA record{} matched by the served chain",
                            std::count_if(match.records.begin(), match.records.end(),
                                          [](const auto& r) {
                                            return r.status == probes::dane::RecordStatus::matched;
                                          }),
                            match.usable_records, match.usable_records == 1 ? "" : "s"));
  }
  std::string why;
  for (const auto& record : match.records) {
    if (record.status != probes::dane::RecordStatus::unusable && !record.reason.empty()) {
      why = record.reason;
      break;
    }
  }
  return make(Status::fail, "mismatch",
              fmt::format("none of {} usable authenticated TLSA record{} matches the served "
                          "chain{}{}",
                          match.usable_records, match.usable_records == 1 ? "" : "s",
                          why.empty() ? "" : ": ", why));
}

}  // namespace mx::judge
