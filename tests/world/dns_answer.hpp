#pragma once
// How the test world's DNS server answers one query, apart from its sockets: a query message in,
// the reply message (or nothing) out, decided by a Zone and its per-name Behaviour. Pure, so the
// server's socket code stays thin and every answer rule can be tested without a network.
//
// The rules (RFC 1034 §4.3.2, RFC 2308, RFC 6891):
//   1. No readable header, or a response instead of a query: dropped.
//   2. Not exactly one question, a section that runs past the end, trailing bytes, or more than
//      one OPT record: FORMERR with an empty question section.
//   3. An opcode other than QUERY: NOTIMP. A class other than IN: REFUSED.
//   4. The question name's Behaviour: silent drops, servfail and refused set the rcode,
//      compression_loop answers with an owner name that never ends.
//   5. Otherwise the zone answers: CNAMEs followed inside the zone (at most 16, stopping at a
//      repeated name), then the records of the asked type; NXDOMAIN or NODATA with a synthesised
//      root SOA in the authority section.
//   6. A reply too big for the transport (512 bytes over UDP, or the query's EDNS payload size;
//      65535 over TCP), or any UDP reply for a truncate_udp name, keeps only the question and
//      OPT and sets TC=1.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "tests/world/dns_zone.hpp"

namespace mx::world {

enum class Transport : std::uint8_t { udp, tcp };

// The UDP payload size the server advertises in its own OPT record.
inline constexpr std::uint16_t server_udp_payload = 1232;

struct DnsReply {
  std::vector<std::uint8_t> message;
  std::chrono::milliseconds delay{0};  // how long to wait before sending it
};

// The question's name of a query, as sent (no trailing dot); empty when it is not a query.
[[nodiscard]] std::string question_name(std::span<const std::uint8_t> query);

// Empty when the query gets no reply at all (rule 1, or a silent name).
[[nodiscard]] std::optional<DnsReply> answer_query(std::span<const std::uint8_t> query,
                                                   const Zone& zone, Transport transport);

}  // namespace mx::world
