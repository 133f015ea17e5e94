// Fuzzes the DNS response parser with whatever a server (or an off-path forger) could send, asking
// every record type in turn. The question name is read from the input itself when it has one, so
// that inputs get past the question check to the sections and the RDATA. Besides not crashing, the
// typed answers must keep their invariants; a broken one aborts, which libFuzzer and the corpus
// replay both report.
#include <ares.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

#include "scanner/dns/wire.hpp"

namespace {

using namespace mx::dns;

struct AresStringFree {
  void operator()(char* text) const { ares_free_string(text); }
};

// The question name of `message`, or a fixed one when it has none that c-ares can read.
std::string question_name(std::span<const std::uint8_t> message) {
  constexpr std::size_t header_size = 12;
  if (message.size() > header_size && message.size() <= 65535) {
    char* name = nullptr;
    long length = 0;
    if (ares_expand_name(message.data() + header_size, message.data(),
                         static_cast<int>(message.size()), &name, &length) == ARES_SUCCESS) {
      const std::unique_ptr<char, AresStringFree> owner(name);
      return name;
    }
  }
  return "example.test";
}

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

template <typename Answer>
void check_meta(const Answer& answer, std::size_t records) {
  require(answer.meta.outcome == Outcome::data || records == 0);
  require(answer.meta.outcome != Outcome::error || !answer.meta.detail.empty());
  require(answer.meta.cname_chain.size() <= max_cname_chain);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> message(data, size);
  const std::string qname = question_name(message);

  const auto mx = parse_mx_answer(message, qname);
  check_meta(mx, mx.records.size());
  for (std::size_t i = 1; i < mx.records.size(); ++i) {
    require(!(mx.records[i] < mx.records[i - 1]));
  }

  for (const RrType type : {RrType::a, RrType::aaaa}) {
    const auto addresses = parse_address_answer(message, qname, type);
    check_meta(addresses, addresses.addresses.size());
    for (const auto& address : addresses.addresses) {
      require(address.is_v4() == (type == RrType::a));
    }
  }

  const auto txt = parse_txt_answer(message, qname);
  check_meta(txt, txt.records.size());

  const auto tlsa = parse_tlsa_answer(message, qname);
  check_meta(tlsa, tlsa.records.size());

  for (const RrType type : {RrType::cname, RrType::soa}) {
    const auto response = parse_response(message, qname, type);
    check_meta(response, response.records.size());
    for (const auto& record : response.records) {
      require(record.offset + record.length <= size);
    }
  }

  if (question_matches(message, qname, RrType::mx)) {
    require(mx.meta.detail != "the answer is for another question");
  }
  return 0;
}
