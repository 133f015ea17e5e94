#pragma once
// Hand-built DNS response messages for the parser tests: a header, one question, and sections of
// records whose owner names are written out (no compression) unless a test writes raw bytes.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace mx::dns::test {

inline constexpr std::uint16_t qr = 0x8000;
inline constexpr std::uint16_t tc = 0x0200;
inline constexpr std::uint16_t rd = 0x0100;
inline constexpr std::uint16_t ra = 0x0080;
inline constexpr std::uint16_t ad = 0x0020;
inline constexpr std::uint16_t answer_flags = qr | rd | ra;

using Bytes = std::vector<std::uint8_t>;

inline void put_u16(Bytes& out, std::uint16_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

inline void put_u32(Bytes& out, std::uint32_t value) {
  put_u16(out, static_cast<std::uint16_t>(value >> 16));
  put_u16(out, static_cast<std::uint16_t>(value & 0xFFFF));
}

// Labels of a dotted name, then the root octet.
inline void put_name(Bytes& out, std::string_view name) {
  while (!name.empty()) {
    const auto dot = name.find('.');
    const auto label = name.substr(0, dot);
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  out.push_back(0);
}

inline Bytes name_rdata(std::string_view name) {
  Bytes out;
  put_name(out, name);
  return out;
}

inline Bytes mx_rdata(std::uint16_t preference, std::string_view host) {
  Bytes out;
  put_u16(out, preference);
  put_name(out, host);
  return out;
}

inline Bytes address_rdata(std::string_view ip) {
  const auto address = boost::asio::ip::make_address(ip);
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    return Bytes(bytes.begin(), bytes.end());
  }
  const auto bytes = address.to_v6().to_bytes();
  return Bytes(bytes.begin(), bytes.end());
}

inline Bytes txt_rdata(std::initializer_list<std::string_view> strings) {
  Bytes out;
  for (const auto string : strings) {
    out.push_back(static_cast<std::uint8_t>(string.size()));
    out.insert(out.end(), string.begin(), string.end());
  }
  return out;
}

inline Bytes tlsa_rdata(std::uint8_t usage, std::uint8_t selector, std::uint8_t matching,
                        Bytes data) {
  Bytes out{usage, selector, matching};
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

struct Rr {
  std::string owner;
  std::uint16_t type = 0;
  Bytes rdata;
  std::uint16_t rr_class = 1;
  std::uint32_t ttl = 300;
};

inline void put_rr(Bytes& out, const Rr& rr) {
  put_name(out, rr.owner);
  put_u16(out, rr.type);
  put_u16(out, rr.rr_class);
  put_u32(out, rr.ttl);
  put_u16(out, static_cast<std::uint16_t>(rr.rdata.size()));
  out.insert(out.end(), rr.rdata.begin(), rr.rdata.end());
}

inline Bytes header(std::uint16_t flags, std::uint16_t questions, std::uint16_t answers,
                    std::uint16_t authority, std::uint16_t additional) {
  Bytes out;
  put_u16(out, 0x4242);
  put_u16(out, flags);
  put_u16(out, questions);
  put_u16(out, answers);
  put_u16(out, authority);
  put_u16(out, additional);
  return out;
}

inline Bytes message(std::string_view qname, std::uint16_t qtype, std::uint16_t flags,
                     const std::vector<Rr>& answers, const std::vector<Rr>& authority = {},
                     const std::vector<Rr>& additional = {}) {
  Bytes out = header(flags, 1, static_cast<std::uint16_t>(answers.size()),
                     static_cast<std::uint16_t>(authority.size()),
                     static_cast<std::uint16_t>(additional.size()));
  put_name(out, qname);
  put_u16(out, qtype);
  put_u16(out, 1);
  for (const auto& rr : answers) {
    put_rr(out, rr);
  }
  for (const auto& rr : authority) {
    put_rr(out, rr);
  }
  for (const auto& rr : additional) {
    put_rr(out, rr);
  }
  return out;
}

// An SOA for negative answers' authority sections (RFC 2308).
inline Rr soa(std::string owner) {
  Bytes rdata = name_rdata("ns." + owner);
  put_name(rdata, "hostmaster." + owner);
  for (int i = 0; i < 5; ++i) {
    put_u32(rdata, 300);
  }
  return Rr{std::move(owner), 6, std::move(rdata)};
}

// An OPT pseudo-record carrying the upper eight bits of an extended RCODE (RFC 6891 §6.1.3).
inline Rr opt(std::uint8_t extended_rcode) {
  return Rr{"", 41, {}, 1232, std::uint32_t{extended_rcode} << 24};
}

}  // namespace mx::dns::test
