#include "tests/world/dns_answer.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <string>
#include <utility>

#include "tests/world/dns_wire.hpp"

namespace mx::world {

namespace {

using Blob = std::vector<std::uint8_t>;

constexpr std::size_t header_size = 12;
constexpr std::size_t classic_udp_limit = 512;
constexpr std::size_t tcp_limit = 65535;
constexpr std::size_t max_character_string = 255;
constexpr std::size_t max_chain_length = 16;

constexpr std::uint16_t class_in = 1;

constexpr std::uint16_t flag_qr = 0x8000;
constexpr std::uint16_t opcode_mask = 0x7800;
constexpr std::uint16_t flag_aa = 0x0400;
constexpr std::uint16_t flag_tc = 0x0200;
constexpr std::uint16_t flag_rd = 0x0100;
constexpr std::uint16_t flag_ra = 0x0080;
constexpr std::uint16_t flag_ad = 0x0020;
constexpr std::uint16_t flag_cd = 0x0010;
constexpr std::uint32_t edns_flag_do = 0x8000;  // in the OPT record's TTL field

enum class Rcode : std::uint8_t {
  noerror = 0,
  formerr = 1,
  servfail = 2,
  nxdomain = 3,
  notimp = 4,
  refused = 5
};

// The SOA that negative answers carry: the server is authoritative for the whole test world, so
// its zone apex is the root.
constexpr std::uint32_t soa_ttl = 60;
constexpr std::uint32_t soa_serial = 1;
constexpr std::uint32_t soa_refresh = 3600;
constexpr std::uint32_t soa_retry = 600;
constexpr std::uint32_t soa_expire = 86400;
constexpr std::uint32_t soa_minimum = 60;  // the negative-caching TTL (RFC 2308 §5)

struct Question {
  Labels name;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
};

struct Edns {
  std::size_t udp_payload = classic_udp_limit;
  bool dnssec_ok = false;
};

struct Query {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  bool well_formed = false;  // a readable header but a bad body gets FORMERR
  Question question{};
  std::optional<Edns> edns{};
};

struct Resolution {
  Rcode rcode = Rcode::noerror;
  std::vector<Blob> answers{};
  std::vector<Blob> authority{};
};

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// Skips one resource record, noting it when it is an OPT. False when it is malformed.
bool read_record(WireReader& reader, std::optional<Edns>& edns) {
  const auto owner = reader.name();
  const auto type = reader.u16();
  const auto klass = reader.u16();
  const auto ttl = reader.u32();
  const auto length = reader.u16();
  if (!owner || !type || !klass || !ttl || !length || !reader.skip(*length)) {
    return false;
  }
  if (*type != static_cast<std::uint16_t>(RrType::opt)) {
    return true;
  }
  // RFC 6891 §6.1.1: one OPT at most, owned by the root.
  if (edns || !owner->empty()) {
    return false;
  }
  edns = Edns{.udp_payload = std::max<std::size_t>(*klass, classic_udp_limit),
              .dnssec_ok = (*ttl & edns_flag_do) != 0};
  return true;
}

std::optional<Query> parse_query(std::span<const std::uint8_t> message) {
  WireReader reader(message);
  const auto id = reader.u16();
  const auto flags = reader.u16();
  const auto qdcount = reader.u16();
  const auto ancount = reader.u16();
  const auto nscount = reader.u16();
  const auto arcount = reader.u16();
  if (!id || !flags || !qdcount || !ancount || !nscount || !arcount) {
    return std::nullopt;
  }
  if ((*flags & flag_qr) != 0) {
    return std::nullopt;  // never answer a response: two servers could loop
  }
  Query query{.id = *id, .flags = *flags};
  if (*qdcount != 1) {
    return query;
  }
  auto name = reader.name();
  const auto type = reader.u16();
  const auto klass = reader.u16();
  if (!name || !type || !klass) {
    return query;
  }
  std::optional<Edns> edns{};
  const std::size_t records = std::size_t{*ancount} + *nscount + *arcount;
  for (std::size_t i = 0; i < records; ++i) {
    if (!read_record(reader, edns)) {
      return query;
    }
  }
  if (!reader.at_end()) {
    return query;
  }
  query.well_formed = true;
  query.question = Question{.name = std::move(*name), .type = *type, .klass = *klass};
  query.edns = edns;
  return query;
}

void write_character_strings(WireWriter& writer, const std::vector<std::string>& strings) {
  if (strings.empty()) {
    writer.u8(0);  // TXT RDATA holds at least one character-string (RFC 1035 §3.3.14)
    return;
  }
  for (const auto& text : strings) {
    std::size_t offset = 0;
    do {
      const auto chunk = std::min(max_character_string, text.size() - offset);
      writer.u8(static_cast<std::uint8_t>(chunk));
      const auto* first = reinterpret_cast<const std::uint8_t*>(text.data()) + offset;
      writer.bytes({first, chunk});
      offset += chunk;
    } while (offset < text.size());
  }
}

void write_rdata(WireWriter& writer, const RData& data) {
  std::visit(Overloaded{
                 [&](const boost::asio::ip::address_v4& a) { writer.bytes(a.to_bytes()); },
                 [&](const boost::asio::ip::address_v6& a) { writer.bytes(a.to_bytes()); },
                 [&](const MxData& mx) {
                   writer.u16(mx.preference);
                   writer.name(mx.exchange);
                 },
                 [&](const TxtData& txt) { write_character_strings(writer, txt.strings); },
                 [&](const CnameData& cname) { writer.name(cname.target); },
                 [&](const TlsaData& tlsa) {
                   writer.u8(tlsa.usage);
                   writer.u8(tlsa.selector);
                   writer.u8(tlsa.matching_type);
                   writer.bytes(tlsa.data);
                 },
             },
             data);
}

// Writes TYPE, CLASS, TTL and an RDLENGTH that `rdata` fills in.
template <class WriteRdata>
Blob record_bytes(const Labels& owner, std::uint16_t type, std::uint16_t klass, std::uint32_t ttl,
                  WriteRdata&& rdata) {
  WireWriter writer;
  writer.name(owner);
  writer.u16(type);
  writer.u16(klass);
  writer.u32(ttl);
  const auto length_at = writer.size();
  writer.u16(0);
  rdata(writer);
  writer.patch_u16(length_at, static_cast<std::uint16_t>(writer.size() - length_at - 2));
  return writer.take();
}

Blob zone_record(const Labels& owner, const Record& record) {
  return record_bytes(owner, static_cast<std::uint16_t>(rr_type(record.data)), class_in, record.ttl,
                      [&](WireWriter& writer) { write_rdata(writer, record.data); });
}

Blob apex_soa() {
  return record_bytes({}, static_cast<std::uint16_t>(RrType::soa), class_in, soa_ttl,
                      [](WireWriter& writer) {
                        writer.name("ns.world.test");
                        writer.name("hostmaster.world.test");
                        writer.u32(soa_serial);
                        writer.u32(soa_refresh);
                        writer.u32(soa_retry);
                        writer.u32(soa_expire);
                        writer.u32(soa_minimum);
                      });
}

Blob opt_record(const Edns& edns) {
  return record_bytes({}, static_cast<std::uint16_t>(RrType::opt), server_udp_payload,
                      edns.dnssec_ok ? edns_flag_do : 0, [](WireWriter&) {});
}

Resolution resolve(const Zone& zone, const Question& question) {
  Resolution result;
  const auto qtype = static_cast<RrType>(question.type);
  // The first owner is echoed as asked (its case included); CNAME targets as the zone spells them.
  Labels owner = question.name;
  std::string current = name_text(question.name);
  std::set<std::string> seen{Zone::canonical(current)};
  if (qtype != RrType::cname) {
    while (const auto cname = zone.cname(current)) {
      result.answers.push_back(zone_record(owner, *cname));
      const auto& target = std::get<CnameData>(cname->data).target;
      if (result.answers.size() >= max_chain_length ||
          !seen.insert(Zone::canonical(target)).second) {
        return result;  // a loop or an overlong chain: what was followed, and no more
      }
      owner = split_name(target).value();  // Zone::add checked that it is encodable
      current = target;
    }
  }
  const auto chain_length = result.answers.size();
  for (const auto& record : zone.records(current, qtype)) {
    result.answers.push_back(zone_record(owner, record));
  }
  const bool apex = Zone::canonical(current).empty();
  if (apex && qtype == RrType::soa) {
    result.answers.push_back(apex_soa());
  }
  if (result.answers.size() == chain_length) {
    // The end of the chain has nothing of this type: NXDOMAIN or NODATA (RFC 2308 §2).
    result.rcode = apex || zone.name_exists(current) ? Rcode::noerror : Rcode::nxdomain;
    result.authority.push_back(apex_soa());
  }
  return result;
}

Blob assemble(const Query& query, std::uint16_t flags, Rcode rcode, const Question* question,
              const std::vector<Blob>& answers, const std::vector<Blob>& authority) {
  WireWriter writer;
  writer.u16(query.id);
  writer.u16(static_cast<std::uint16_t>(flags | static_cast<std::uint16_t>(rcode)));
  writer.u16(question != nullptr ? 1 : 0);
  writer.u16(static_cast<std::uint16_t>(answers.size()));
  writer.u16(static_cast<std::uint16_t>(authority.size()));
  writer.u16(query.edns ? 1 : 0);
  if (question != nullptr) {
    writer.name(question->name);
    writer.u16(question->type);
    writer.u16(question->klass);
  }
  for (const auto& record : answers) {
    writer.bytes(record);
  }
  for (const auto& record : authority) {
    writer.bytes(record);
  }
  if (query.edns) {
    writer.bytes(opt_record(*query.edns));
  }
  return writer.take();
}

// The reply to a well-formed query, cut down to the question and OPT with TC=1 when it does not
// fit the transport or when the name asks for truncation over UDP.
Blob finish(const Query& query, std::uint16_t flags, const Resolution& resolution,
            Transport transport, bool truncate_udp) {
  auto message = assemble(query, flags, resolution.rcode, &query.question, resolution.answers,
                          resolution.authority);
  const std::size_t limit = transport == Transport::tcp
                                ? tcp_limit
                                : (query.edns ? query.edns->udp_payload : classic_udp_limit);
  if (message.size() <= limit && !(transport == Transport::udp && truncate_udp)) {
    return message;
  }
  return assemble(query, static_cast<std::uint16_t>(flags | flag_tc), resolution.rcode,
                  &query.question, {}, {});
}

// The reply of Behaviour::Reply::compression_loop: the question, then one answer whose owner is
// "loop" and a pointer back to that label, with four octets of RDATA (valid for A, junk for the
// rest). Never truncated: it is small.
Blob loop_reply(const Query& query, std::uint16_t flags) {
  Query bare = query;
  bare.edns.reset();  // the OPT record would have to follow the answer
  Blob message = assemble(bare, flags, Rcode::noerror, &query.question, {}, {});
  const std::size_t owner = message.size();
  constexpr std::uint8_t pointer_mark = 0xC0;
  const std::array<std::uint8_t, 5> label{4, 'l', 'o', 'o', 'p'};
  message.insert(message.end(), label.begin(), label.end());
  message.push_back(static_cast<std::uint8_t>(pointer_mark | ((owner >> 8) & 0x3F)));
  message.push_back(static_cast<std::uint8_t>(owner & 0xFF));
  WireWriter rest;
  rest.u16(query.question.type);
  rest.u16(class_in);
  rest.u32(300);
  rest.u16(4);
  rest.bytes(std::array<std::uint8_t, 4>{127, 0, 0, 1});
  const Blob tail = rest.take();
  message.insert(message.end(), tail.begin(), tail.end());
  message[7] = 1;  // ANCOUNT
  return message;
}

}  // namespace

std::string question_name(std::span<const std::uint8_t> message) {
  const auto query = parse_query(message);
  return query && query->well_formed ? name_text(query->question.name) : std::string();
}

std::optional<DnsReply> answer_query(std::span<const std::uint8_t> message, const Zone& zone,
                                     Transport transport) {
  const auto query = parse_query(message);
  if (!query) {
    return std::nullopt;
  }
  std::uint16_t flags = flag_qr | flag_ra | (query->flags & (flag_rd | flag_cd));
  if (!query->well_formed) {
    return DnsReply{.message = assemble(*query, flags, Rcode::formerr, nullptr, {}, {})};
  }
  flags |= query->flags & opcode_mask;
  if ((query->flags & opcode_mask) != 0) {
    return DnsReply{.message = finish(*query, flags, {.rcode = Rcode::notimp}, transport, false)};
  }
  if (query->question.klass != class_in) {
    return DnsReply{.message = finish(*query, flags, {.rcode = Rcode::refused}, transport, false)};
  }
  const auto& behaviour = zone.behaviour(name_text(query->question.name));
  Resolution resolution;
  switch (behaviour.reply) {
    case Behaviour::Reply::silent:
      return std::nullopt;
    case Behaviour::Reply::servfail:
      resolution.rcode = Rcode::servfail;
      break;
    case Behaviour::Reply::refused:
      resolution.rcode = Rcode::refused;
      break;
    case Behaviour::Reply::compression_loop:
      return DnsReply{.message = loop_reply(*query, static_cast<std::uint16_t>(flags | flag_aa)),
                      .delay = behaviour.delay};
    case Behaviour::Reply::answer:
      resolution = resolve(zone, query->question);
      flags |= flag_aa;
      if (behaviour.authenticated) {
        flags |= flag_ad;
      }
      break;
  }
  return DnsReply{.message = finish(*query, flags, resolution, transport, behaviour.truncate_udp),
                  .delay = behaviour.delay};
}

}  // namespace mx::world
