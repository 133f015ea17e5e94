#include "judge/policy_rules.hpp"

#include <string_view>

#include <fmt/format.h>

#include "probes/mta_sts/mx_match.hpp"
#include "probes/mta_sts/policy.hpp"
#include "probes/mta_sts/txt_fields.hpp"
#include "probes/mta_sts/txt_record.hpp"
#include "probes/tlsrpt/txt_record.hpp"

namespace mx::judge {
namespace {

using dns::Outcome;
using probes::mta_sts::FetchEnding;
using probes::mta_sts::Mode;
using probes::mta_sts::PolicyFetch;

constexpr std::string_view kRecord = "mta-sts.record";
constexpr std::string_view kPolicy = "mta-sts.policy";
constexpr std::string_view kMxMatch = "mta-sts.mx-match";
constexpr std::string_view kTlsrpt = "tlsrpt.record";

Check make(std::string_view name, Status status, std::string code, std::string message) {
  return Check{std::string(name), status, std::move(code), std::move(message)};
}

std::string outcome_text(const dns::AnswerMeta& meta) {
  std::string out(dns::to_string(meta.outcome));
  if (!meta.detail.empty()) {
    out += " (" + meta.detail + ")";
  }
  return out;
}

// The tolerated findings of a record that is used, for the message.
template <typename Finding>
std::string tolerated(const std::vector<Finding>& findings) {
  std::string out;
  for (const auto finding : findings) {
    if (severity(finding) == probes::Severity::warning) {
      out += out.empty() ? "; tolerated: " : ", ";
      out += to_string(finding);
    }
  }
  return out;
}

// The TXT rules shared by mta-sts.record and tlsrpt.record. `owner`: the name asked, for messages;
// `version`: the version tag a record starts with; `ok_message` describes a valid record.
template <typename Parse, typename OkMessage>
Check judge_txt(std::string_view name, const dns::TxtAnswer& answer, std::string_view owner,
                std::string_view version, Parse parse, OkMessage ok_message) {
  switch (answer.meta.outcome) {
    case Outcome::data: {
      const auto parsed = parse(answer.records);
      if (parsed) {
        return make(name, Status::pass, "ok", ok_message(*parsed));
      }
      const auto& failure = parsed.error();
      const std::string code(to_string(failure.error));
      switch (failure.error) {
        case decltype(failure.error)::absent:
          return make(name, Status::warn, code,
                      fmt::format("no TXT record at {} begins with {}", owner, version));
        case decltype(failure.error)::multiple:
          return make(name, Status::fail, code,
                      fmt::format("{} records at {} begin with {}; exactly one may",
                                  failure.records.size(), owner, version));
        case decltype(failure.error)::syntax:
          return make(name, Status::fail, code, failure.reason);
      }
      return make(name, Status::fail, code, failure.reason);
    }
    case Outcome::nxdomain:
    case Outcome::nodata:
      return make(
          name, Status::warn, "absent",
          fmt::format("no TXT record at {} ({})", owner, dns::to_string(answer.meta.outcome)));
    case Outcome::timeout:
      return make(name, Status::error, "timeout",
                  fmt::format("no answer to the TXT query for {} in time", owner));
    case Outcome::servfail:
    case Outcome::refused:
    case Outcome::error:
      break;
  }
  return make(name, Status::error, "dns-error",
              fmt::format("TXT query for {} failed: {}", owner, outcome_text(answer.meta)));
}

std::string ending_text(const PolicyFetch& fetch) {
  std::string out(to_string(fetch.ending));
  if (!fetch.detail.empty()) {
    out += ": " + fetch.detail;
  }
  return out;
}

// Rule 3: what is wrong with the served certificate, or nothing.
std::optional<std::string> certificate_problem(const PolicyFetch& fetch) {
  if (!fetch.certificate || !fetch.certificate->parsed) {
    return "no parsable certificate was served";
  }
  const auto& c = *fetch.certificate;
  if (!c.trusted) {
    return fmt::format("no chain to a trust anchor{}: {}", c.self_signed ? " (self-signed)" : "",
                       c.verify_error_text);
  }
  if (c.expired) {
    return fmt::format("expired {}", c.not_after);
  }
  if (c.not_yet_valid) {
    return fmt::format("not valid before {}", c.not_before);
  }
  if (c.chain_expired) {
    return "a certificate of the served chain above the leaf is expired or not yet valid";
  }
  if (!c.name_matches) {
    return fmt::format("no subjectAltName covers {}", fetch.host);
  }
  return std::nullopt;
}

// The policy that reached rule 8, if any.
const probes::mta_sts::Policy* usable_policy(const Check& policy_check,
                                             const std::optional<PolicyFetch>& fetch) {
  const bool usable = policy_check.status == Status::pass || policy_check.status == Status::warn;
  if (!usable || !fetch || !fetch->policy || !*fetch->policy) {
    return nullptr;
  }
  return &fetch->policy->value();
}

}  // namespace

Check judge_mta_sts_record(const dns::TxtAnswer& answer) {
  return judge_txt(
      kRecord, answer, "_mta-sts", "v=STSv1",
      [](const std::vector<std::string>& records) {
        return probes::mta_sts::parse_txt_record(records);
      },
      [](const probes::mta_sts::TxtRecord& record) {
        return fmt::format("id {}{}", record.id, tolerated(record.findings));
      });
}

Check judge_tlsrpt_record(const dns::TxtAnswer& answer) {
  return judge_txt(
      kTlsrpt, answer, "_smtp._tls", "v=TLSRPTv1",
      [](const std::vector<std::string>& records) {
        return probes::tlsrpt::parse_txt_record(records);
      },
      [](const probes::tlsrpt::TxtRecord& record) {
        std::string rua;
        for (const auto& uri : record.rua) {
          rua += (rua.empty() ? "" : ", ") + probes::mta_sts::quoted(uri);
        }
        return fmt::format("reports to {}{}", rua, tolerated(record.findings));
      });
}

Check judge_mta_sts_policy(const Check& record, const std::optional<PolicyFetch>& fetch) {
  if (record.status != Status::pass || !fetch) {
    return make(kPolicy, Status::skipped, "no-record", "not fetched: no valid MTA-STS record");
  }
  const auto& f = *fetch;
  switch (f.ending) {
    case FetchEnding::dns_error:
      return make(kPolicy, Status::error, "dns-error", ending_text(f));
    case FetchEnding::timeout:
      return make(kPolicy, Status::error, "timeout", ending_text(f));
    case FetchEnding::forbidden:
      // The fetch's detail names each address and its block.
      return make(
          kPolicy, Status::error, "forbidden",
          fmt::format(
              "{}; not connected without --allow-private",
              f.detail.empty() ? "every address of " + f.host + " is special-purpose" : f.detail));
    case FetchEnding::excluded:
      // The detail names the exclude list's entries: the operator's choice, not a failure.
      return make(kPolicy, Status::skipped, "excluded", fmt::format("{}; not fetched", f.detail));
    case FetchEnding::no_address:
    case FetchEnding::refused:
    case FetchEnding::unreachable:
    case FetchEnding::closed:
    case FetchEnding::tls_failed:
    case FetchEnding::http_error:
    case FetchEnding::io_error:
      return make(kPolicy, Status::fail, "fetch-failed",
                  f.ending == FetchEnding::tls_failed && !f.tls_failure.empty()
                      ? fmt::format("{} ({})", ending_text(f), f.tls_failure)
                      : ending_text(f));
    case FetchEnding::completed:
    case FetchEnding::too_large:
      break;
  }
  if (const auto problem = certificate_problem(f)) {
    return make(kPolicy, Status::fail, "certificate", *problem);
  }
  if (f.status >= 300 && f.status < 400) {
    return make(
        kPolicy, Status::fail, "redirect",
        fmt::format("HTTP {} to {}; redirects are not followed (RFC 8461 section 3.3)", f.status,
                    f.location ? probes::mta_sts::quoted(*f.location, 256) : "no Location"));
  }
  if (f.status != 200) {
    return make(kPolicy, Status::fail, "http-status",
                fmt::format("HTTP {} {}", f.status, probes::mta_sts::quoted(f.reason)));
  }
  if (!f.content_type || !f.text_plain) {
    return make(kPolicy, Status::fail, "content-type",
                f.content_type ? fmt::format("Content-Type {}, not text/plain",
                                             probes::mta_sts::quoted(*f.content_type))
                               : std::string("no Content-Type; text/plain is required"));
  }
  const bool parse_too_large =
      f.policy && !*f.policy && f.policy->error().error == probes::mta_sts::PolicyError::too_large;
  if (f.ending == FetchEnding::too_large || parse_too_large) {
    return make(kPolicy, Status::fail, "too-large",
                fmt::format("the body exceeds {} octets", probes::mta_sts::max_policy_octets));
  }
  if (!f.policy) {
    return make(kPolicy, Status::fail, "fetch-failed", "the body was not read");
  }
  if (!*f.policy) {
    return make(kPolicy, Status::fail, "syntax", f.policy->error().reason);
  }
  const auto& policy = f.policy->value();
  const auto summary =
      fmt::format("mode {}, max_age {}, {} mx pattern{}{}", to_string(policy.mode), policy.max_age,
                  policy.mx.size(), policy.mx.size() == 1 ? "" : "s", tolerated(policy.findings));
  switch (policy.mode) {
    case Mode::none:
      return make(kPolicy, Status::warn, "mode-none",
                  fmt::format("{}: senders are told to stop applying MTA-STS", summary));
    case Mode::testing:
      return make(kPolicy, Status::pass, "mode-testing",
                  fmt::format("{}: failures are reported, not enforced", summary));
    case Mode::enforce:
      break;
  }
  return make(kPolicy, Status::pass, "ok", summary);
}

Check judge_mta_sts_mx_match(const Check& policy_check, const std::optional<PolicyFetch>& fetch,
                             std::span<const std::string> hosts) {
  const auto* policy = usable_policy(policy_check, fetch);
  if (policy == nullptr) {
    return make(kMxMatch, Status::skipped, "no-policy", "not run: no usable MTA-STS policy");
  }
  if (policy->mode == Mode::none) {
    return make(kMxMatch, Status::skipped, "mode-none", "not run: the policy's mode is none");
  }
  const auto unmatched = probes::mta_sts::unmatched_hosts(hosts, policy->mx);
  if (unmatched.empty()) {
    return make(kMxMatch, Status::pass, "ok",
                fmt::format("every MX host matches a pattern of the policy ({} host{})",
                            hosts.size(), hosts.size() == 1 ? "" : "s"));
  }
  const bool enforce = policy->mode == Mode::enforce;
  return make(kMxMatch, enforce ? Status::fail : Status::warn, "mismatch",
              fmt::format("{} match{} no mx pattern of the policy{}", fmt::join(unmatched, ", "),
                          unmatched.size() == 1 ? "es" : "", enforce ? "" : " (mode testing)"));
}

std::vector<Check> judge_policies(const probes::DomainObservation& domain) {
  std::vector<Check> out;
  auto record = judge_mta_sts_record(domain.mta_sts_txt);
  auto policy = judge_mta_sts_policy(record, domain.policy_fetch);
  std::vector<std::string> hosts;
  for (const auto& host : domain.hosts) {
    hosts.push_back(host.mx.host);
  }
  auto mx_match = judge_mta_sts_mx_match(policy, domain.policy_fetch, hosts);
  out.push_back(std::move(record));
  out.push_back(std::move(policy));
  out.push_back(std::move(mx_match));
  out.push_back(judge_tlsrpt_record(domain.tlsrpt_txt));
  return out;
}

std::optional<MtaStsFacts> mta_sts_facts(const probes::DomainObservation& domain) {
  if (domain.mta_sts_txt.meta.outcome != Outcome::data) {
    return std::nullopt;
  }
  const auto record = probes::mta_sts::parse_txt_record(domain.mta_sts_txt.records);
  if (!record) {
    return std::nullopt;
  }
  MtaStsFacts out{record->raw, record->id, std::nullopt};
  const auto& fetch = domain.policy_fetch;
  if (fetch && fetch->policy && *fetch->policy) {
    const auto& policy = fetch->policy->value();
    out.policy = MtaStsPolicyFacts{std::string(to_string(policy.mode)), policy.max_age, policy.mx};
  }
  return out;
}

std::optional<TlsrptFacts> tlsrpt_facts(const probes::DomainObservation& domain) {
  if (domain.tlsrpt_txt.meta.outcome != Outcome::data) {
    return std::nullopt;
  }
  const auto record = probes::tlsrpt::parse_txt_record(domain.tlsrpt_txt.records);
  if (!record) {
    return std::nullopt;
  }
  return TlsrptFacts{record->raw, record->rua};
}

}  // namespace mx::judge
