// Fuzzes certificate analysis with hostile chains, three ways per input: the bytes as a
// one-element chain; split in two at the offset the first byte gives; and cut into consecutive DER
// elements by their own headers, so that a seed made of a real leaf and its issuers reaches path
// building. The store is empty. Besides not crashing, the facts must be consistent: nothing is
// trusted, an unparsed leaf has no facts but its fingerprint, the name results exclude each other,
// and OpenSSL's error queue is left clean.
// A broken property aborts, which libFuzzer and the corpus replay both report.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "probes/tls/certificate.hpp"

namespace {

using mx::probes::tls::CertificateFacts;
using mx::probes::tls::Der;

struct StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

// A fixed time inside the validity of the seed certificates, so that a replay is deterministic.
const auto judged_at = std::chrono::system_clock::from_time_t(1811808000);  // 2027-06-01

bool is_lower_hex(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// Header plus contents of the DER element at the start of `size` bytes, cut at the end of them.
std::size_t element_size(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return size;
  }
  std::size_t header = 2;
  std::size_t contents = data[1];
  if ((data[1] & 0x80) != 0) {
    const std::size_t octets = data[1] & 0x7f;
    if (octets == 0 || octets > 4 || size < 2 + octets) {
      return size;
    }
    contents = 0;
    for (std::size_t i = 0; i < octets; ++i) {
      contents = (contents << 8) | data[2 + i];
    }
    header += octets;
  }
  return std::min(size, header + contents);
}

std::vector<Der> der_elements(const std::uint8_t* data, std::size_t size) {
  std::vector<Der> elements;
  // One past the analysis' own cap, so that the cap is exercised too.
  while (size > 0 && elements.size() <= mx::probes::tls::max_chain_length) {
    const std::size_t length = element_size(data, size);
    elements.emplace_back(data, data + length);
    data += length;
    size -= length;
  }
  return elements;
}

void check(const std::vector<Der>& chain, X509_STORE* empty_store) {
  const CertificateFacts facts =
      mx::probes::tls::analyse_chain(chain, "mx.example.test", empty_store, judged_at);
  require(ERR_peek_error() == 0);
  require(!facts.trusted);
  require(facts.sha256.empty() == chain.empty());
  require(facts.sha256.empty() || (facts.sha256.size() == 64 && is_lower_hex(facts.sha256)));
  require(!(facts.name_matches && facts.cn_only_match));
  require(!facts.cn_only_match || facts.san_dns.empty());
  require(facts.key_bits >= 0);
  if (facts.parsed) {
    require(facts.verify_error != X509_V_OK && !facts.verify_error_text.empty());
  } else {
    require(facts.verify_error == X509_V_OK && facts.verify_error_text.empty());
    require(facts.subject.empty() && facts.issuer.empty() && facts.san_dns.empty());
    require(facts.key_type.empty() && facts.signature_algorithm.empty());
    require(!facts.name_matches && !facts.cn_only_match && !facts.self_signed);
    require(!facts.expired && !facts.not_yet_valid && !facts.chain_expired);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::unique_ptr<X509_STORE, StoreFree> empty_store(X509_STORE_new());
  require(empty_store != nullptr);
  ERR_clear_error();

  check({Der(data, data + size)}, empty_store.get());
  if (size > 0) {
    const std::size_t split = std::min<std::size_t>(data[0], size);
    check({Der(data, data + split), Der(data + split, data + size)}, empty_store.get());
  }
  check(der_elements(data, size), empty_store.get());
  return 0;
}
