#pragma once
// What the store writes: plain rows, one struct per table. The engine converts judged results and
// observations into these; the store knows nothing of probes or verdict rules.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mx::store {

struct CheckRow {
  std::string subject;  // "domain", "host" or "address"
  std::string host;     // "" for domain checks
  std::string ip;       // "" for domain and host checks
  std::string name;
  std::string status;
  std::string code;
  std::string message;
};

struct HostRow {
  std::string host;
  std::int64_t preference = 0;
  std::string status;
};

struct AddressRow {
  std::string host;
  std::string ip;
  std::string status;
};

struct CertificateRow {
  std::string sha256;
  std::vector<std::uint8_t> der;
  std::string subject;
  std::string issuer;
  std::string san_json;
  std::string not_before;
  std::string not_after;
  std::string key_type;
  std::int64_t key_bits = 0;
  std::string signature_algorithm;
};

struct EndpointRow {
  std::string ip;
  std::int64_t port = 25;
  std::string host;
  std::string stage;
  std::string ending;
  std::string detail;
  std::optional<std::string> banner;
  bool starttls = false;
  std::optional<std::string> tls_version;
  std::optional<std::string> tls_cipher;
  std::optional<std::string> tls_group;
  std::optional<CertificateRow> certificate;
  std::int64_t elapsed_ms = 0;
};

// The domain's MTA-STS record and what its policy fetch gave: policy columns empty when no body
// parsed, `body` empty when none was read whole.
struct MtaStsPolicyRow {
  std::string record_id;
  std::optional<std::string> mode;
  std::optional<std::int64_t> max_age;
  std::optional<std::string> mx_json;  // JSON array of the policy's mx patterns
  std::optional<std::string> body;     // as served
};

struct DomainRow {
  std::string domain;
  std::string status;
  std::string scanned_at;
  std::int64_t attempts = 1;
  std::string result_json;
  std::vector<HostRow> hosts;
  std::vector<AddressRow> addresses;
  std::vector<CheckRow> checks;
  std::vector<EndpointRow> endpoints;  // endpoints this domain's hosts used (stored once per run)
  std::optional<MtaStsPolicyRow> mta_sts;  // when the domain published exactly one valid record
};

}  // namespace mx::store
