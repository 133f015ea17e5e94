#pragma once
// Databases for the report tests, written through the store's own API as mxscan writes them:
// runs (store/runs.hpp), whole domains through the Writer (store/writer.hpp), and validations
// categorised by record_validation (store/validations.hpp). A Site describes one domain in one
// run; everything not said is a healthy domain with one MX host.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "store/runs.hpp"
#include "store/schema.hpp"
#include "store/validations.hpp"
#include "store/writer.hpp"

namespace mx::test::report {

// A check whose status is not pass, at the domain ("domain") or at an MX host (its name).
struct Failure {
  std::string where;
  std::string check;
  std::string status;
  std::string code;
  std::string message;
};

struct Site {
  std::string domain;
  std::string status = "pass";
  std::string mode = "testing";      // its list entry, in validations
  std::vector<std::string> hosts{};  // MX hosts; none given: mx.<domain>
  std::vector<Failure> failures{};
  std::string tls_version = "TLSv1.3";
  std::string issuer = "CN=Test CA, O=Test";
  std::optional<std::string> mta_sts{};  // the policy's mode
  bool tlsrpt = false;
  std::string banner = "220 mx.example ESMTP";
  std::optional<std::string> policy_body{};
  bool excluded = false;  // wholly excluded by --exclude: skipped, no MX host looked up
};

inline std::vector<std::string> hosts_of(const Site& site) {
  return site.hosts.empty() ? std::vector<std::string>{"mx." + site.domain} : site.hosts;
}

// A distinct documentation address for each host name, the same in every run.
inline std::string address_of(const std::string& host) {
  static std::map<std::string, std::string> addresses;
  const auto [it, added] = addresses.try_emplace(host, "");
  if (added) {
    const auto n = addresses.size();
    it->second = fmt::format("198.51.{}.{}", n / 250, 1 + n % 250);
  }
  return it->second;
}

inline store::DomainRow domain_row(const Site& site, const std::string& when) {
  namespace json = boost::json;
  store::DomainRow row;
  row.domain = site.domain;
  row.status = site.status;
  row.scanned_at = when;
  // Domain-level checks, then each host's; a failure replaces the check of its name or is added.
  std::vector<store::CheckRow> domain_checks{
      {"domain", "", "", "mx", "pass", "ok", "MX records"},
      {"domain", "", "", "mta-sts.record", site.mta_sts ? "pass" : "warn",
       site.mta_sts ? "ok" : "absent", site.mta_sts ? "one record" : "no record"},
      {"domain", "", "", "tlsrpt.record", site.tlsrpt ? "pass" : "warn",
       site.tlsrpt ? "ok" : "absent", site.tlsrpt ? "one record" : "no record"}};
  auto apply = [&](std::vector<store::CheckRow>& checks, const std::string& where) {
    for (const auto& failure : site.failures) {
      if (failure.where != where) {
        continue;
      }
      store::CheckRow check{checks.front().subject, checks.front().host, "",
                            failure.check,          failure.status,      failure.code,
                            failure.message};
      auto found = std::find_if(checks.begin(), checks.end(),
                                [&](const store::CheckRow& c) { return c.name == failure.check; });
      if (found != checks.end()) {
        *found = check;
      } else {
        checks.push_back(check);
      }
    }
  };
  if (site.excluded) {
    row.status = "skipped";
    domain_checks = {{"domain", "", "", "mx", "skipped", "excluded",
                      "excluded by line 2 (" + site.domain + ") of exclude.conf"}};
  }
  apply(domain_checks, "domain");
  json::array checks_json;
  auto check_json = [](const store::CheckRow& c) {
    return json::object{
        {"check", c.name}, {"status", c.status}, {"code", c.code}, {"message", c.message}};
  };
  for (const auto& c : domain_checks) {
    row.checks.push_back(c);
    checks_json.push_back(check_json(c));
  }
  json::array mx_json;
  std::int64_t preference = 10;
  for (const auto& host : site.excluded ? std::vector<std::string>{} : hosts_of(site)) {
    std::vector<store::CheckRow> host_checks{
        {"host", host, "", "starttls", "pass", "ok", "STARTTLS offered and accepted"},
        {"host", host, "", "tls", "pass", "ok", "handshake"},
        {"host", host, "", "certificate", "pass", "ok", "valid"},
        {"host", host, "", "dane", "skipped", "absent", "no TLSA records"}};
    apply(host_checks, host);
    bool failing = false;
    json::array host_json;
    const auto ip = address_of(host);
    for (const auto& c : host_checks) {
      row.checks.push_back(c);
      auto at_address = c;
      at_address.subject = "address";
      at_address.ip = ip;
      row.checks.push_back(at_address);
      host_json.push_back(check_json(c));
      failing = failing || c.status == "fail" || c.status == "error";
    }
    const auto host_status = failing ? site.status : "pass";
    row.hosts.push_back({host, preference, host_status});
    row.addresses.push_back({host, ip, host_status});
    store::EndpointRow endpoint;
    endpoint.ip = ip;
    endpoint.host = host;
    endpoint.stage = "quit";
    endpoint.ending = "ok";
    endpoint.banner = site.banner;
    endpoint.starttls = true;
    endpoint.tls_version = site.tls_version;
    endpoint.tls_cipher = "TLS_AES_128_GCM_SHA256";
    store::CertificateRow certificate;
    certificate.sha256 =
        fmt::format("{:064x}", std::hash<std::string>{}(host + "\n" + site.issuer));
    certificate.der = {0x30, 0x00};
    certificate.subject = "CN=" + host;
    certificate.issuer = site.issuer;
    certificate.san_json = json::serialize(json::array{json::string(host)});
    certificate.not_before = "2026-01-01T00:00:00Z";
    certificate.not_after = "2027-01-01T00:00:00Z";
    certificate.key_type = "EC";
    certificate.key_bits = 256;
    certificate.signature_algorithm = "ecdsa-with-SHA256";
    endpoint.certificate = certificate;
    row.endpoints.push_back(endpoint);
    mx_json.push_back(json::object{{"host", host},
                                   {"preference", preference},
                                   {"status", host_status},
                                   {"checks", std::move(host_json)},
                                   {"addresses", json::array{}}});
    preference += 10;
  }
  if (site.mta_sts) {
    row.mta_sts =
        store::MtaStsPolicyRow{"20261101", *site.mta_sts, 86400,
                               json::serialize(json::array{"mx." + site.domain}), site.policy_body};
  }
  row.result_json = json::serialize(json::object{{"domain", site.domain},
                                                 {"status", row.status},
                                                 {"checks", std::move(checks_json)},
                                                 {"mx", std::move(mx_json)},
                                                 {"mta_sts", nullptr},
                                                 {"tlsrpt", nullptr},
                                                 {"policy", nullptr}});
  return row;
}

// Stores one complete run of `sites`; a `validate` run when `author` is given (each site judged
// against its entry, categories recorded), else a `scan`.
inline std::int64_t add_run(const std::filesystem::path& path, const std::string& when,
                            const std::vector<Site>& sites,
                            const std::optional<std::string>& author = std::nullopt) {
  std::vector<std::string> domains;
  std::vector<store::RunPolicyRow> policies;
  for (const auto& site : sites) {
    domains.push_back(site.domain);
    policies.push_back({site.domain, site.mode,
                        boost::json::serialize(boost::json::array{"mx." + site.domain}),
                        std::nullopt});
  }
  const store::RunInfo info{
      .kind = author ? "validate" : "scan",
      .options_json = "{}",
      .input_digest = fmt::format("digest-{}", when),
      .shard = std::nullopt,
      .list_author = author,
      .list_version = author ? std::optional<std::string>("2026-10-30T00:00:00Z") : std::nullopt,
      .mxscan_version = "test"};
  std::int64_t run = 0;
  {
    auto db = store::open_for_writing(path);
    run = store::create_run(db, info, when, domains, {},
                            author ? policies : std::vector<store::RunPolicyRow>{});
  }
  {
    store::Writer writer(path, run);
    for (const auto& site : sites) {
      writer.push(domain_row(site, when));
    }
    writer.close();
  }
  auto db = store::open_for_writing(path);
  store::finish_run(db, run, "complete", when);
  if (author) {
    store::record_validation(db, run);
  }
  return run;
}

// Three nights of a list of 17 entries on a few providers, each night with urgent, newly failing,
// still failing, recovered, undetermined and passing entries (and on the third an excluded one);
// the third is also a removal candidate's third failing night. `text` is put wherever a peer or a
// zone controls what the database holds: a domain name, a host name, a banner, a policy body, check
// messages quoting them, a certificate issuer. Returns the three runs.
inline std::vector<std::int64_t> three_nights(const std::filesystem::path& path,
                                              const std::string& text = "plain text") {
  const auto night = [&](int n) {
    std::vector<Site> sites;
    const std::vector<std::string> providers{"mx1.bigmail.test", "mx2.bigmail.test"};
    for (int i = 0; i < 6; ++i) {
      Site site{.domain = fmt::format("shop{}.test", i)};
      site.hosts = providers;
      site.mode = i % 2 == 0 ? "enforce" : "testing";
      site.mta_sts = i < 3 ? "enforce" : "testing";
      site.tlsrpt = i < 4;
      site.issuer = "CN=R3, O=Let's Encrypt, C=US";
      sites.push_back(site);
    }
    for (int i = 0; i < 4; ++i) {
      Site site{.domain = fmt::format("club{}.test", i)};
      site.hosts = {"smtp.hosted.test"};
      site.status = "warn";
      site.tls_version = "TLSv1.2";
      sites.push_back(site);
    }
    // Enforce, failing every night: urgent, then still failing, then a removal candidate.
    Site broken{.domain = "broken.test", .status = "fail", .mode = "enforce"};
    broken.failures = {{"mx.broken.test", "starttls", "fail", "not-advertised",
                        "the EHLO reply does not offer STARTTLS"}};
    sites.push_back(broken);
    // Testing, failing from night 2: newly failing, then still failing.
    Site expired{.domain = "expired.test", .mode = "testing"};
    if (n >= 2) {
      expired.status = "fail";
      expired.failures = {{"mx.expired.test", "certificate", "fail", "expired",
                           "the certificate expired on 2026-11-01T00:00:00Z"}};
    }
    sites.push_back(expired);
    // Failing on night 1 only: recovered on night 2.
    Site mended{.domain = "mended.test", .mode = "testing"};
    if (n == 1) {
      mended.status = "fail";
      mended.failures = {{"mx.mended.test", "tls", "fail", "outdated", "best version TLSv1.0"}};
      mended.tls_version = "TLSv1.0";
    }
    sites.push_back(mended);
    // Undetermined on nights 2 and 3.
    Site silent{.domain = "silent.test", .mode = "enforce"};
    if (n >= 2) {
      silent.status = "error";
      silent.failures = {
          {"mx.silent.test", "connect", "error", "timeout", "no answer to the TCP connection"}};
    }
    sites.push_back(silent);
    // What the attacker controls: the domain's and its host's names, the banner its server
    // sends, the policy body it serves, and its certificate's issuer.
    Site hostile{.domain = text, .status = "fail", .mode = "enforce"};
    hostile.hosts = {"mx." + text};
    hostile.banner = "554 " + text;
    hostile.policy_body = text;
    hostile.mta_sts = "enforce";
    hostile.issuer = "CN=" + text;
    hostile.failures = {
        {"domain", "mta-sts.policy", "fail", "syntax", "line 1: not a key: value pair: " + text},
        {"mx." + text, "smtp", "fail", "protocol", "not valid SMTP at greeting: 554 " + text}};
    sites.push_back(hostile);
    // A second provider host on a new night, so that the providers change.
    Site late{.domain = "late.test", .mode = "testing"};
    late.hosts = {n == 3 ? "mx3.bigmail.test" : "mx.late.test"};
    sites.push_back(late);
    // Passing, then opted out of being scanned (--exclude) on night 3.
    sites.push_back(Site{.domain = "optout.test", .excluded = n == 3});
    return sites;
  };
  return {add_run(path, "2026-11-01T03:00:00Z", night(1), "maintainers"),
          add_run(path, "2026-11-02T03:00:00Z", night(2), "maintainers"),
          add_run(path, "2026-11-03T03:00:00Z", night(3), "maintainers")};
}

// What a peer or a zone may hold that must stay inert in every format.
inline const std::string kHostile =
    "<script>alert(1)</script> \" ' </style> </script> ]]> --> <!-- &amp; <b>x</b> \xE2\x80\xA8 "
    "\xE2\x80\xA9 `code` |cell| *em*";

}  // namespace mx::test::report
