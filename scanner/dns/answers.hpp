#pragma once
// Typed DNS answers. Every lookup ends in exactly one Outcome; data is only meaningful when the
// outcome is `data`. Names are absolute, lower case, without the trailing dot; the root is "".

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace mx::dns {

enum class Outcome : std::uint8_t {
  data,      // NOERROR with records of the asked type (possibly behind a CNAME chain)
  nodata,    // NOERROR, the name exists, no record of that type (incl. a CNAME chain ending so)
  nxdomain,  // the name (or the end of its CNAME chain) does not exist
  servfail,  // SERVFAIL from every server
  refused,   // REFUSED from every server
  timeout,   // no usable answer within the budget
  error,     // anything else: FORMERR, NOTIMP, malformed answer, socket failure
};

[[nodiscard]] std::string_view to_string(Outcome outcome);

enum class RrType : std::uint16_t {
  a = 1,
  cname = 5,
  soa = 6,
  mx = 15,
  txt = 16,
  aaaa = 28,
  tlsa = 52,
};

[[nodiscard]] std::string_view to_string(RrType type);

// What every answer carries besides its records.
struct AnswerMeta {
  Outcome outcome = Outcome::error;
  bool authenticated = false;            // AD bit of the answer (asked for in the query)
  std::string canonical_name;            // the name the records belong to, after CNAMEs
  std::vector<std::string> cname_chain;  // CNAME targets followed, in order
  std::string detail;  // human-readable cause for error outcomes (e.g. "FORMERR", c-ares text)
};

struct MxRecord {
  std::uint16_t preference = 0;
  std::string host;  // "" is the root: a null MX target
  auto operator<=>(const MxRecord&) const = default;
};

struct MxAnswer {
  AnswerMeta meta;
  std::vector<MxRecord> records;  // sorted by preference, then host
  // RFC 7505: exactly one MX with preference 0 and root target. A root target among other MX
  // records is reported by null_mx_mixed() instead (GOTCHAS: report, evaluate the real MX).
  [[nodiscard]] bool null_mx() const;
  [[nodiscard]] bool null_mx_mixed() const;
};

// The hosts a sender would try, in order (RFC 5321 section 5.1): for MX data, the targets by
// preference without root targets (a null MX, or one mixed in) and without repeats, at most
// `limit` of them; for NODATA, `domain` itself at preference 0 (the implicit MX); none for any
// other outcome.
[[nodiscard]] std::vector<MxRecord> mail_hosts(const MxAnswer& answer, std::string_view domain,
                                               std::size_t limit);

struct AddressAnswer {
  AnswerMeta meta;
  std::vector<boost::asio::ip::address> addresses;
};

struct TxtAnswer {
  AnswerMeta meta;
  std::vector<std::string> records;  // one element per RR: its character-strings joined
};

struct TlsaRecord {
  std::uint8_t usage = 0;
  std::uint8_t selector = 0;
  std::uint8_t matching_type = 0;
  std::vector<std::uint8_t> data;
  auto operator<=>(const TlsaRecord&) const = default;
};

struct TlsaAnswer {
  AnswerMeta meta;
  std::vector<TlsaRecord> records;
};

}  // namespace mx::dns
