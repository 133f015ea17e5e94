#pragma once
// A pure parser of DNS response messages (RFC 1035 §4.1; RFC 2308 negative answers; RFC 6891
// extended RCODE) and the typed extraction of MX, A/AAAA, TXT and TLSA answers from them.
//
// Input is hostile: every fixed field is read with a bounds check, and names go through c-ares'
// ares_expand_name, which follows compression pointers and rejects loops. The CNAME chain is
// followed inside the answer section only, from the question name to its canonical name, and
// only records of the asked type owned by that canonical name count. Owner names compare
// case-insensitively (answers may carry any case, e.g. 0x20 randomisation).
//
// A malformed message, a question that is not the one asked, a truncated answer (TC=1: GOTCHAS,
// a truncated answer is not a missing record) or malformed RDATA of an asked-for record all end in
// Outcome::error with a detail. Thread safety: pure functions, safe from any thread.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "scanner/dns/answers.hpp"

namespace mx::dns {

inline constexpr std::uint16_t class_in = 1;
// Longest CNAME chain followed inside one answer; longer chains are reported as errors.
inline constexpr std::size_t max_cname_chain = 16;

// The RDATA of one answer record, left in the message: its names may point anywhere in it.
struct RecordData {
  std::size_t offset = 0;
  std::size_t length = 0;
};

struct Response {
  AnswerMeta meta;
  std::uint16_t rcode = 0;  // the header's 4 bits, extended by the OPT record's 8 when present
  bool truncated = false;   // TC bit
  // Records of the asked type owned by meta.canonical_name, in message order; set only when
  // meta.outcome is data.
  std::vector<RecordData> records;
};

// Lower case (ASCII), without a trailing dot; the root is "". For names as asked and as expanded.
[[nodiscard]] std::string fold_name(std::string_view name);

// True when `message` is long enough to hold a header and its question section is exactly one
// question for (`qname`, `qtype`, IN), names compared case-insensitively.
[[nodiscard]] bool question_matches(std::span<const std::uint8_t> message, std::string_view qname,
                                    RrType qtype);

// `qname` as asked: any case, trailing dot optional.
[[nodiscard]] Response parse_response(std::span<const std::uint8_t> message, std::string_view qname,
                                      RrType qtype);

// Typed answers. MX records are sorted by preference then host; a root MX target is "".
[[nodiscard]] MxAnswer parse_mx_answer(std::span<const std::uint8_t> message,
                                       std::string_view qname);
// `type` is RrType::a or RrType::aaaa.
[[nodiscard]] AddressAnswer parse_address_answer(std::span<const std::uint8_t> message,
                                                 std::string_view qname, RrType type);
// One element per TXT record: its character-strings joined.
[[nodiscard]] TxtAnswer parse_txt_answer(std::span<const std::uint8_t> message,
                                         std::string_view qname);
// TLSA RDATA shorter than 3 octets is malformed.
[[nodiscard]] TlsaAnswer parse_tlsa_answer(std::span<const std::uint8_t> message,
                                           std::string_view qname);

}  // namespace mx::dns
