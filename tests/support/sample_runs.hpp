#pragma once
// Stored runs built through the store's own API (create_run, Writer, finish_run), without any
// network: domains on shared providers (Google's hosts, a .co.uk provider) and self-hosted, with
// every check level, codes that differ between domains sharing an endpoint, TLS versions,
// certificates, MTA-STS policies of each mode, null MX domains, and peer-controlled text
// (banners, certificate names, policy bodies, messages) holding markup, quotes, CSV separators,
// CR LF, control characters and UTF-8. Deterministic: the same arguments give the same rows.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "store/runs.hpp"
#include "store/schema.hpp"
#include "store/writer.hpp"

namespace mx::test {

// What a hostile peer would put in a banner, a certificate or a policy body.
inline const std::string kHostile =
    "<script>alert(1)</script> \"q\", </style>\r\nnext\tline\x01\x1f\x7f caf\xc3\xa9 "
    "\xf0\x9f\x98\x80 \xe2\x80\xa8 &amp;";

// A JSON string literal for the rows' JSON columns (the store takes JSON text as it is).
inline std::string sample_json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto octet = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (octet < 0x20) {
      out += fmt::format("\\u{:04x}", octet);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

inline std::string sample_json_array(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    out += (i == 0 ? "" : ",") + sample_json_string(items[i]);
  }
  return out + "]";
}

// The MX hosts of domain i: Google's (one provider, several names), a .co.uk provider's, its own,
// or none (a null MX).
inline std::vector<std::string> sample_hosts(int i) {
  switch (i % 5) {
    case 0:
      return {"aspmx.l.google.com", "alt1.aspmx.l.google.com"};
    case 1:
      return {"alt2.aspmx.l.google.com"};
    case 2:
      return {"mx1.mail.provider.co.uk", "mx2.mail.provider.co.uk"};
    case 3:
      return {fmt::format("mx.d{}.test", i)};
    default:
      return {};
  }
}

inline std::string sample_ip(const std::string& host) {
  return fmt::format("192.0.2.{}", std::hash<std::string>{}(host) % 250 + 1);
}

inline std::string status_of(std::string_view code) {
  if (code == "ok") {
    return "pass";
  }
  if (code == "temporary" || code == "timeout") {
    return "error";
  }
  if (code == "skipped" || code == "absent") {
    return "skipped";
  }
  if (code == "unauthenticated") {
    return "warn";
  }
  return "fail";
}

// Domain i of a run of variant v: codes shift with (i + v), so two variants differ.
inline store::DomainRow sample_domain(int i, int variant) {
  const int k = i + variant;
  store::DomainRow row;
  row.domain = fmt::format("d{}.test", i);
  static const std::vector<std::string> statuses{"pass", "warn", "fail", "error", "warn"};
  row.status = statuses.at(static_cast<std::size_t>(k % 5));
  row.scanned_at = fmt::format("2026-11-{:02}T00:00:{:02}Z", 1 + variant % 28, i % 60);
  row.attempts = row.status == "error" ? 2 : 1;
  row.result_json =
      fmt::format(R"({{"domain":{},"status":"{}","note":{}}})", sample_json_string(row.domain),
                  row.status, sample_json_string(kHostile));
  const auto hosts = sample_hosts(i);
  row.checks.push_back({"domain", "", "", "mx", hosts.empty() ? "fail" : "pass",
                        hosts.empty() ? "null-mx" : "ok", "MX " + kHostile});
  if (hosts.empty()) {
    return row;
  }
  static const std::vector<std::string> tlsrpt{"ok", "absent", "absent", "syntax", "timeout"};
  const auto& rpt = tlsrpt.at(static_cast<std::size_t>(k % 5));
  row.checks.push_back({"domain", "", "", "tlsrpt.record",
                        rpt == "absent" ? "warn" : status_of(rpt), rpt, "tlsrpt"});
  // MTA-STS: enforce, testing, none, a record without a parsed policy, or no record.
  const int sts = k % 6;
  row.checks.push_back({"domain", "", "", "mta-sts.record", sts >= 4 ? "warn" : "pass",
                        sts >= 4 ? "absent" : "ok", "record"});
  if (sts < 4) {
    store::MtaStsPolicyRow policy;
    policy.record_id = fmt::format("id{}\"<b>", k);
    if (sts < 3) {
      static const std::vector<std::string> modes{"enforce", "testing", "none"};
      policy.mode = modes.at(static_cast<std::size_t>(sts));
      policy.max_age = 86400 * (1 + k % 3);
      policy.mx_json = sample_json_array({"*.aspmx.l.google.com", kHostile});
    }
    policy.body = "version: STSv1\r\nmode: enforce\r\n" + kHostile;
    row.mta_sts = policy;
  }
  static const std::vector<std::string> starttls{"ok",       "ok", "not-advertised", "temporary",
                                                 "rejected", "ok", "skipped"};
  static const std::vector<std::string> certificate{"ok", "expired", "ok", "name-mismatch",
                                                    "untrusted"};
  static const std::vector<std::string> dane{"absent",          "ok",    "absent", "mismatch",
                                             "unauthenticated", "absent"};
  static const std::vector<std::string> versions{"TLSv1.3", "TLSv1.2", "TLSv1.3", "TLSv1"};
  for (std::size_t h = 0; h < hosts.size(); ++h) {
    const auto& host = hosts[h];
    const auto ip = sample_ip(host);
    const auto n = static_cast<std::size_t>(k) + h;
    row.hosts.push_back({host, static_cast<std::int64_t>(10 * (h + 1)), row.status});
    row.addresses.push_back({host, ip, row.status});
    using Codes = std::pair<std::string, const std::vector<std::string>*>;
    for (const auto& [name, codes] :
         {Codes{"starttls", &starttls}, Codes{"certificate", &certificate}, Codes{"dane", &dane}}) {
      const auto& code = codes->at(n % codes->size());
      const auto status = code == "absent" ? "skipped" : status_of(code);
      row.checks.push_back({"host", host, "", name, status, code, kHostile});
      row.checks.push_back({"address", host, ip, name, status, code, kHostile});
    }
    store::EndpointRow endpoint;
    endpoint.ip = ip;
    endpoint.host = host;
    endpoint.stage = n % 7 == 2 ? "ehlo" : "done";
    endpoint.ending = n % 7 == 2 ? "no_starttls" : "completed";
    endpoint.detail = n % 2 == 0 ? "" : kHostile;
    if (n % 4 != 3) {
      endpoint.banner = "220 " + host + " ESMTP " + kHostile;
    }
    endpoint.starttls = n % 7 != 2;
    endpoint.elapsed_ms = static_cast<std::int64_t>(n * 7);
    if (n % 7 != 2) {
      endpoint.tls_version = versions.at(n % versions.size());
      endpoint.tls_cipher = n % 2 == 0 ? "TLS_AES_256_GCM_SHA384" : "ECDHE-RSA-AES128-GCM-SHA256";
      endpoint.tls_group = "X25519";
      store::CertificateRow cert;
      cert.sha256 = fmt::format("{:064x}", std::hash<std::string>{}(host) + n % 3);
      cert.der = {0x30, 0x03, 0x02, 0x01, static_cast<std::uint8_t>(n), 0xff, 0x00};
      cert.subject = "CN=" + host + ",O=" + kHostile;
      cert.issuer = n % 3 == 0 ? "CN=R3,O=Let's Encrypt,C=US" : "CN=\"</style>,O=" + kHostile;
      cert.san_json = sample_json_array({host, kHostile});
      cert.not_before = "2026-01-01T00:00:00Z";
      cert.not_after = "2027-01-01T00:00:00Z";
      cert.key_type = n % 2 == 0 ? "EC" : "RSA";
      cert.key_bits = n % 2 == 0 ? 256 : 2048;
      cert.signature_algorithm = "ecdsa-with-SHA256";
      endpoint.certificate = cert;
    }
    row.endpoints.push_back(endpoint);
  }
  return row;
}

// Stores a run of domains d0..d<count-1>.test of `variant`, in state `state` ("complete",
// "running", "interrupted"); returns its id.
inline std::int64_t store_sample_run(const std::filesystem::path& db_path, int count, int variant,
                                     const std::string& state = "complete") {
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    names.push_back(fmt::format("d{}.test", i));
  }
  std::int64_t run = 0;
  const auto started = fmt::format("2026-11-{:02}T00:00:00Z", 1 + variant % 28);
  {
    auto db = store::open_for_writing(db_path);
    const store::RunInfo info{"scan",       "{}",         fmt::format("digest-{}", variant),
                              std::nullopt, std::nullopt, std::nullopt,
                              "test"};
    run = store::create_run(db, info, started, names);
  }
  {
    store::Writer writer(db_path, run);
    for (int i = 0; i < count; ++i) {
      writer.push(sample_domain(i, variant));
    }
    writer.close();
  }
  if (state != "running") {
    auto db = store::open_for_writing(db_path);
    store::finish_run(db, run, state, fmt::format("2026-11-{:02}T01:00:00Z", 1 + variant % 28));
  }
  return run;
}

}  // namespace mx::test
