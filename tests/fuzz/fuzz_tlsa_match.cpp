// Fuzzes DANE TLSA matching with a hostile record and a hostile one-certificate chain. The input
// is a record, then the certificate: usage, selector and matching type (one octet each), the
// length of the association data (two octets, big-endian, cut at the end of the input), the data,
// and the rest is the DER of the leaf. Missing header octets count as zero.
// Besides not crashing, the result must be consistent: one detail per record, the counts agree
// with the statuses, DANE-TA can only match through a bare key in a one-certificate chain, and
// OpenSSL's error queue is left clean. When the leaf parses, the association data computed for it
// must match it as DANE-EE, and the same data with one bit flipped must not.
// A broken property aborts, which libFuzzer and the corpus replay both report.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <vector>

#include <openssl/err.h>

#include "probes/dane/tlsa_match.hpp"

namespace {

using mx::dns::TlsaRecord;
using mx::probes::dane::Der;
using mx::probes::dane::RecordMatch;
using mx::probes::dane::RecordStatus;
using mx::probes::dane::TlsaMatch;

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

// A fixed time inside the validity of the seed certificates, so that a replay is deterministic.
const auto judged_at = std::chrono::system_clock::from_time_t(1811808000);  // 2027-06-01

constexpr const char* mx_host = "mx.example.test";

TlsaMatch match(const std::vector<TlsaRecord>& records, const Der& leaf) {
  ERR_clear_error();
  TlsaMatch result = mx::probes::dane::match_tlsa(records, {leaf}, mx_host, "", judged_at);
  require(ERR_peek_error() == 0);
  require(result.records.size() == records.size());
  std::size_t usable = 0;
  bool matched = false;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const RecordMatch& detail = result.records[i];
    require(!detail.reason.empty());
    usable += detail.status != RecordStatus::unusable ? 1 : 0;
    matched = matched || detail.status == RecordStatus::matched;
    const bool anchored =
        detail.status == RecordStatus::matched || detail.status == RecordStatus::rules_failed;
    require(anchored == detail.element.has_value());
    // Only the leaf is served: DANE-EE matches it, DANE-TA only through a key that signed it.
    require(!detail.element || *detail.element == 0);
    require(!detail.bare_key || records[i].usage == 2);
    if (records[i].usage == 2 && anchored) {
      require(detail.bare_key);
      require(records[i].selector == 1 && records[i].matching_type == 0);
    }
    if (records[i].usage == 3 || !anchored) {
      require(!detail.path_valid && !detail.name_matches && !detail.dates_valid);
    }
    if (records[i].usage == 3) {
      require(detail.status != RecordStatus::rules_failed);
    }
    if (records[i].usage == 2 && detail.status == RecordStatus::matched) {
      require(detail.path_valid && detail.name_matches && detail.dates_valid);
    }
    if (records[i].usage == 2 && detail.status == RecordStatus::rules_failed) {
      require(!(detail.path_valid && detail.name_matches && detail.dates_valid));
    }
  }
  require(result.usable_records == usable);
  require(result.matched == matched);
  require(result.all_unusable == (!records.empty() && usable == 0));
  return result;
}

void check_round_trip(const Der& leaf) {
  for (std::uint8_t selector = 0; selector <= 1; ++selector) {
    for (std::uint8_t matching_type = 0; matching_type <= 2; ++matching_type) {
      ERR_clear_error();
      const std::optional<Der> data =
          mx::probes::dane::association_data(leaf, selector, matching_type);
      require(ERR_peek_error() == 0);
      require(data.has_value() && !data->empty());
      TlsaRecord record{
          .usage = 3, .selector = selector, .matching_type = matching_type, .data = *data};
      const TlsaMatch good = match({record}, leaf);
      require(good.matched && good.records[0].element == std::optional<std::size_t>(0));
      record.data.back() ^= 0x01;
      require(!match({record}, leaf).matched);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::array<std::uint8_t, 5> header{};
  const std::size_t header_size = std::min(size, header.size());
  std::copy(data, data + header_size, header.begin());
  data += header_size;
  size -= header_size;
  const std::size_t data_size =
      std::min(static_cast<std::size_t>((header[3] << 8) | header[4]), size);

  TlsaRecord record{.usage = header[0],
                    .selector = header[1],
                    .matching_type = header[2],
                    .data = std::vector<std::uint8_t>(data, data + data_size)};
  const Der leaf(data + data_size, data + size);

  match({record}, leaf);
  match({}, leaf);

  ERR_clear_error();
  const bool leaf_parses = mx::probes::dane::association_data(leaf, 1, 1).has_value();
  require(ERR_peek_error() == 0);
  if (leaf_parses) {
    check_round_trip(leaf);
  }
  return 0;
}
