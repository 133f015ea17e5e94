#include "bench/micro/fixture.hpp"

#include <unistd.h>

#include <chrono>
#include <system_error>

#include <openssl/x509.h>
#include <boost/asio/ip/address.hpp>

#include "probes/mta_sts/policy.hpp"
#include "probes/smtp/ehlo.hpp"
#include "probes/smtp/reply_parser.hpp"

namespace mx::bench {
namespace {

probes::tls::Der der_of(X509* cert) {
  const int size = i2d_X509(cert, nullptr);
  probes::tls::Der out(static_cast<std::size_t>(size));
  auto* p = out.data();
  i2d_X509(cert, &p);
  return out;
}

constexpr std::string_view policy_body =
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmx: mx2.example.test\r\n"
    "max_age: 604800\r\n";

dns::AnswerMeta data() {
  dns::AnswerMeta meta;
  meta.outcome = dns::Outcome::data;
  return meta;
}

probes::HostObservation host(const std::string& name, std::uint16_t preference,
                             const std::string& ip) {
  const auto& f = fixture();
  probes::HostObservation h;
  h.mx = {preference, name};
  h.a.meta = data();
  h.a.addresses = {boost::asio::ip::make_address(ip)};
  h.aaaa.meta.outcome = dns::Outcome::nodata;
  h.tlsa.meta.outcome = dns::Outcome::nxdomain;

  probes::smtp::Observation o;
  o.host = name;
  o.ip = h.a.addresses.front();
  o.stage = probes::smtp::Stage::done;
  o.ending = probes::smtp::Ending::completed;
  o.greeting = probes::smtp::Reply{220, {name + " ESMTP Postfix"}, {}};
  o.ehlo = probes::smtp::Reply{
      250,
      {name, "PIPELINING", "SIZE 52428800", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME"},
      {}};
  o.capabilities = *probes::smtp::parse_ehlo(*o.ehlo);
  o.starttls = probes::smtp::Reply{220, {"2.0.0 Ready to start TLS"}, {}};
  probes::smtp::TlsObservation tls;
  tls.version = "TLSv1.3";
  tls.version_number = 0x0304;
  tls.cipher = "TLS_AES_256_GCM_SHA384";
  tls.group = "X25519";
  tls.chain = f.chain();
  o.tls = tls;
  o.ehlo_tls = probes::smtp::Reply{250, {name, "PIPELINING", "SIZE 52428800", "8BITMIME"}, {}};
  o.capabilities_tls = *probes::smtp::parse_ehlo(*o.ehlo_tls);
  o.elapsed = std::chrono::milliseconds(3);

  probes::AddressObservation address;
  address.certificate =
      probes::tls::analyse_chain(f.chain(), name, f.trust(), std::chrono::system_clock::now());
  address.smtp = std::move(o);
  h.addresses.push_back(std::move(address));
  return h;
}

}  // namespace

Fixture::Fixture()
    : dir_(std::filesystem::temp_directory_path() /
           ("mxscan-bench-micro-" + std::to_string(getpid()))),
      pki_(std::make_unique<world::Pki>(dir_)),
      trust_(probes::tls::TrustStore::from_file(pki_->trust_file())) {
  world::LeafSpec spec;
  spec.dns_names = {"mx1.example.test", "mx2.example.test", "mta-sts.example.test"};
  const auto leaf = pki_->issue(spec, "leaf");
  chain_ = {der_of(leaf.cert.get()), der_of(pki_->intermediate())};
}

Fixture::~Fixture() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

probes::DomainObservation typical_observation(const std::string& domain) {
  const auto& f = fixture();
  probes::DomainObservation d;
  d.domain = domain;
  d.observed_at = std::chrono::system_clock::now();
  d.mx.meta = data();
  d.mx.records = {{10, "mx1.example.test"}, {20, "mx2.example.test"}};
  d.hosts.push_back(host("mx1.example.test", 10, "127.0.1.1"));
  d.hosts.push_back(host("mx2.example.test", 20, "127.0.1.2"));
  d.mta_sts_txt.meta = data();
  d.mta_sts_txt.records = {"v=STSv1; id=20261128T000000"};
  d.tlsrpt_txt.meta = data();
  d.tlsrpt_txt.records = {"v=TLSRPTv1; rua=mailto:tlsrpt@example.test"};

  probes::mta_sts::PolicyFetch fetch;
  fetch.host = "mta-sts.example.test";
  fetch.stage = probes::mta_sts::FetchStage::done;
  fetch.ending = probes::mta_sts::FetchEnding::completed;
  fetch.a = dns::AddressAnswer{data(), {boost::asio::ip::make_address("127.0.2.1")}};
  probes::tls::Session session;
  session.version = "TLSv1.3";
  session.version_number = 0x0304;
  session.cipher = "TLS_AES_256_GCM_SHA384";
  session.group = "X25519";
  session.chain = f.chain();
  fetch.tls = std::move(session);
  fetch.certificate = probes::tls::analyse_chain(f.chain(), fetch.host, f.trust(), d.observed_at);
  fetch.status = 200;
  fetch.reason = "OK";
  fetch.content_type = "text/plain";
  fetch.text_plain = true;
  fetch.content_length = policy_body.size();
  fetch.body = std::string(policy_body);
  fetch.body_octets = policy_body.size();
  fetch.policy = probes::mta_sts::parse_policy(policy_body);
  d.policy_fetch = std::move(fetch);
  return d;
}

}  // namespace mx::bench
