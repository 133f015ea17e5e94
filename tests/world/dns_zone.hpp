#pragma once
// An in-memory DNS zone for the loopback test world: the records an authoritative server holds,
// and per-name misbehaviour (SERVFAIL, REFUSED, silence, truncation, AD flag, delay).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace mx::world {

enum class RrType : std::uint16_t {
  a = 1,
  ns = 2,
  cname = 5,
  soa = 6,
  mx = 15,
  txt = 16,
  aaaa = 28,
  opt = 41,
  tlsa = 52,
};

struct MxData {
  std::uint16_t preference = 0;
  std::string exchange;  // "" or "." is the root: a null MX (RFC 7505)
};

struct TlsaData {
  std::uint8_t usage = 3;
  std::uint8_t selector = 1;
  std::uint8_t matching_type = 1;
  std::vector<std::uint8_t> data;
};

struct TxtData {
  std::vector<std::string> strings;  // character-strings of one record, each <= 255 bytes
};

struct CnameData {
  std::string target;
};

using RData = std::variant<boost::asio::ip::address_v4, boost::asio::ip::address_v6, MxData,
                           TxtData, CnameData, TlsaData>;

// The record type that a piece of record data is published as.
[[nodiscard]] RrType rr_type(const RData& data);

struct Record {
  std::string name;  // owner, absolute, case-insensitive; trailing dot optional
  std::uint32_t ttl = 300;
  RData data;
};

// How the server treats queries for one name (any type). Defaults: answer normally.
// compression_loop answers NOERROR with one record of the asked type whose owner name is a label
// followed by a compression pointer back to that label (RFC 1035 §4.1.4): a name without end,
// which a decoder that follows pointers blindly expands forever.
struct Behaviour {
  enum class Reply : std::uint8_t { answer, servfail, refused, silent, compression_loop };
  Reply reply = Reply::answer;
  bool truncate_udp = false;   // over UDP: TC=1 and an empty answer section; TCP gets it all
  bool authenticated = false;  // AD=1 on answers (as a validating resolver would set)
  std::chrono::milliseconds delay{0};  // before answering (UDP and TCP)
};

class Zone {
 public:
  // Names are compared case-insensitively, with or without a trailing dot. A name that cannot be
  // put on the wire (an empty label, a label over 63 bytes, over 255 bytes in all) throws
  // std::invalid_argument, as does an address that does not parse.
  void add(Record record);
  void add_a(const std::string& name, const std::string& ip);
  void add_aaaa(const std::string& name, const std::string& ip);
  void add_mx(const std::string& name, std::uint16_t preference, const std::string& exchange);
  void add_txt(const std::string& name, std::vector<std::string> strings);
  void add_cname(const std::string& name, const std::string& target);
  void add_tlsa(const std::string& name, TlsaData tlsa);
  void set_behaviour(const std::string& name, Behaviour behaviour);
  // The behaviour of every name that has none of its own (initially: answer normally), whether
  // or not it has records; e.g. servfail makes everything fail but the names set above.
  void set_default_behaviour(Behaviour behaviour);

  // Lookup used by the server (exposed for tests of the zone itself).
  [[nodiscard]] const Behaviour& behaviour(const std::string& name) const;
  [[nodiscard]] bool name_exists(const std::string& name) const;  // has any record
  [[nodiscard]] std::vector<Record> records(const std::string& name, RrType type) const;
  [[nodiscard]] std::optional<Record> cname(const std::string& name) const;

  static std::string canonical(const std::string& name);  // lower case, no trailing dot

 private:
  std::multimap<std::string, Record> records_;  // keyed by canonical owner
  std::map<std::string, Behaviour> behaviours_;
  Behaviour default_behaviour_;
};

}  // namespace mx::world
