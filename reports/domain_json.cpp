#include "reports/domain_json.hpp"

#include <boost/json/array.hpp>

namespace mx::reports {
namespace {

namespace json = boost::json;

json::array checks_json(const std::vector<judge::Check>& checks) {
  json::array out;
  for (const auto& check : checks) {
    out.push_back(check_json(check));
  }
  return out;
}

json::value certificate_json(const std::optional<probes::tls::CertificateFacts>& certificate) {
  if (!certificate || !certificate->parsed) {
    return nullptr;
  }
  const auto& c = *certificate;
  json::array san;
  for (const auto& name : c.san_dns) {
    san.emplace_back(name);
  }
  return json::object{{"sha256", c.sha256},
                      {"subject", c.subject},
                      {"issuer", c.issuer},
                      {"san", std::move(san)},
                      {"not_before", c.not_before},
                      {"not_after", c.not_after},
                      {"key", json::object{{"type", c.key_type}, {"bits", c.key_bits}}},
                      {"signature_algorithm", c.signature_algorithm},
                      {"trusted", c.trusted}};
}

json::object address_json(const judge::AddressResult& address) {
  json::object out;
  out["ip"] = address.ip.to_string();
  out["status"] = judge::to_string(address.status);
  out["checks"] = checks_json(address.checks);
  if (address.tls_version.empty()) {
    out["tls"] = nullptr;
  } else {
    out["tls"] = json::object{{"version", address.tls_version}, {"cipher", address.tls_cipher}};
  }
  out["certificate"] = certificate_json(address.certificate);
  return out;
}

json::value mta_sts_json(const std::optional<judge::MtaStsFacts>& mta_sts) {
  if (!mta_sts) {
    return nullptr;
  }
  json::value policy = nullptr;
  if (mta_sts->policy) {
    json::array mx;
    for (const auto& pattern : mta_sts->policy->mx) {
      mx.emplace_back(pattern);
    }
    policy = json::object{{"mode", mta_sts->policy->mode},
                          {"max_age", mta_sts->policy->max_age},
                          {"mx", std::move(mx)}};
  }
  return json::object{{"record", mta_sts->record}, {"id", mta_sts->id}, {"policy", policy}};
}

json::value tlsrpt_json(const std::optional<judge::TlsrptFacts>& tlsrpt) {
  if (!tlsrpt) {
    return nullptr;
  }
  json::array rua;
  for (const auto& uri : tlsrpt->rua) {
    rua.emplace_back(uri);
  }
  return json::object{{"record", tlsrpt->record}, {"rua", std::move(rua)}};
}

json::object host_json(const judge::HostResult& host) {
  json::array addresses;
  for (const auto& address : host.addresses) {
    addresses.push_back(address_json(address));
  }
  return json::object{{"host", host.host},
                      {"preference", host.preference},
                      {"status", judge::to_string(host.status)},
                      {"checks", checks_json(host.checks)},
                      {"addresses", std::move(addresses)}};
}

json::value policy_json(const std::optional<judge::ListPolicy>& policy) {
  if (!policy) {
    return nullptr;
  }
  json::array mxs;
  for (const auto& pattern : policy->mxs) {
    mxs.emplace_back(pattern);
  }
  return json::object{{"mode", list::to_string(policy->mode)}, {"mxs", std::move(mxs)}};
}

}  // namespace

json::object check_json(const judge::Check& check) {
  return json::object{{"check", check.check},
                      {"status", judge::to_string(check.status)},
                      {"code", check.code},
                      {"message", check.message}};
}

json::object domain_json(const judge::DomainResult& domain) {
  json::array mx;
  for (const auto& host : domain.mx) {
    mx.push_back(host_json(host));
  }
  return json::object{{"domain", domain.domain},
                      {"status", judge::to_string(domain.status)},
                      {"checks", checks_json(domain.checks)},
                      {"mx", std::move(mx)},
                      {"mta_sts", mta_sts_json(domain.mta_sts)},
                      {"tlsrpt", tlsrpt_json(domain.tlsrpt)},
                      {"policy", policy_json(domain.policy)}};
}

}  // namespace mx::reports
