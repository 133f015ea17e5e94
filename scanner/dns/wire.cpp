#include "scanner/dns/wire.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include <ares.h>
#include <fmt/format.h>

namespace mx::dns {
namespace {

constexpr std::size_t header_size = 12;
constexpr std::size_t max_message_size = 65535;
constexpr std::size_t rr_fixed_size = 10;  // TYPE, CLASS, TTL, RDLENGTH
constexpr std::uint16_t type_opt = 41;

constexpr std::uint16_t flag_qr = 0x8000;
constexpr std::uint16_t flag_tc = 0x0200;
constexpr std::uint16_t flag_ad = 0x0020;

constexpr std::uint16_t rcode_noerror = 0;
constexpr std::uint16_t rcode_servfail = 2;
constexpr std::uint16_t rcode_nxdomain = 3;
constexpr std::uint16_t rcode_refused = 5;

using Message = std::span<const std::uint8_t>;

std::uint16_t read_u16(Message message, std::size_t at) {
  return static_cast<std::uint16_t>((message[at] << 8) | message[at + 1]);
}

std::uint32_t read_u32(Message message, std::size_t at) {
  return (std::uint32_t{read_u16(message, at)} << 16) | read_u16(message, at + 2);
}

struct AresStringFree {
  void operator()(char* text) const { ares_free_string(text); }
};

// The name encoded at `offset`, folded, and how many octets its encoding takes at that offset
// (up to and including the first compression pointer). Empty when malformed.
struct ExpandedName {
  std::string name;
  std::size_t encoded_length = 0;
};

std::optional<ExpandedName> expand_name(Message message, std::size_t offset) {
  if (offset >= message.size()) {
    return std::nullopt;
  }
  char* expanded = nullptr;
  long encoded_length = 0;
  const int status = ares_expand_name(message.data() + offset, message.data(),
                                      static_cast<int>(message.size()), &expanded, &encoded_length);
  if (status != ARES_SUCCESS) {
    return std::nullopt;
  }
  const std::unique_ptr<char, AresStringFree> owner(expanded);
  return ExpandedName{fold_name(expanded), static_cast<std::size_t>(encoded_length)};
}

// Moves `offset` past a possibly compressed name without following pointers: sections we do not
// read names from only need their extent.
bool skip_name(Message message, std::size_t& offset) {
  while (offset < message.size()) {
    const std::uint8_t length = message[offset];
    if ((length & 0xC0) == 0xC0) {
      if (offset + 2 > message.size()) {
        return false;
      }
      offset += 2;
      return true;
    }
    if ((length & 0xC0) != 0) {
      return false;  // the obsolete and reserved label types
    }
    offset += 1 + std::size_t{length};
    if (length == 0) {
      return true;
    }
  }
  return false;
}

struct Rr {
  std::string owner;  // folded; only for the answer section
  std::uint16_t type = 0;
  std::uint16_t rr_class = 0;
  std::uint32_t ttl = 0;
  RecordData rdata;
};

// Reads one resource record at `offset` and moves past it.
std::optional<Rr> read_rr(Message message, std::size_t& offset, bool with_owner) {
  Rr rr;
  if (with_owner) {
    auto owner = expand_name(message, offset);
    if (!owner) {
      return std::nullopt;
    }
    rr.owner = std::move(owner->name);
    offset += owner->encoded_length;
  } else if (!skip_name(message, offset)) {
    return std::nullopt;
  }
  if (offset + rr_fixed_size > message.size()) {
    return std::nullopt;
  }
  rr.type = read_u16(message, offset);
  rr.rr_class = read_u16(message, offset + 2);
  rr.ttl = read_u32(message, offset + 4);
  rr.rdata.length = read_u16(message, offset + 8);
  rr.rdata.offset = offset + rr_fixed_size;
  if (rr.rdata.offset + rr.rdata.length > message.size()) {
    return std::nullopt;
  }
  offset = rr.rdata.offset + rr.rdata.length;
  return rr;
}

// Checks the question section and returns the offset just past it, or why it does not match.
struct QuestionCheck {
  std::size_t end = 0;
  std::string mismatch;  // empty when the question is the one asked
};

QuestionCheck check_question(Message message, std::string_view folded_qname, RrType qtype) {
  const std::uint16_t count = read_u16(message, 4);
  if (count != 1) {
    return {0, fmt::format("{} questions in the answer", count)};
  }
  const auto name = expand_name(message, header_size);
  if (!name) {
    return {0, "malformed question name"};
  }
  const std::size_t fixed = header_size + name->encoded_length;
  if (fixed + 4 > message.size()) {
    return {0, "question section cut short"};
  }
  if (name->name != folded_qname || read_u16(message, fixed) != static_cast<std::uint16_t>(qtype) ||
      read_u16(message, fixed + 2) != class_in) {
    return {0, "the answer is for another question"};
  }
  return {fixed + 4, {}};
}

std::string rcode_name(std::uint16_t rcode) {
  switch (rcode) {
    case 1:
      return "FORMERR";
    case 4:
      return "NOTIMP";
    case 6:
      return "YXDOMAIN";
    case 7:
      return "YXRRSET";
    case 8:
      return "NXRRSET";
    case 9:
      return "NOTAUTH";
    case 10:
      return "NOTZONE";
    case 16:
      return "BADVERS";
    default:
      return fmt::format("RCODE {}", rcode);
  }
}

Response& fail(Response& response, std::string detail) {
  response.meta.outcome = Outcome::error;
  response.meta.detail = std::move(detail);
  response.records.clear();
  return response;
}

// Follows CNAMEs from `asked` inside the answer section; sets the canonical name and the chain.
bool follow_cnames(Message message, const std::vector<Rr>& answers, const std::string& asked,
                   Response& response) {
  std::string current = asked;
  for (;;) {
    const auto cname = std::find_if(answers.begin(), answers.end(), [&](const Rr& rr) {
      return rr.type == static_cast<std::uint16_t>(RrType::cname) && rr.rr_class == class_in &&
             rr.owner == current;
    });
    if (cname == answers.end()) {
      break;
    }
    if (response.meta.cname_chain.size() == max_cname_chain) {
      fail(response, fmt::format("CNAME chain longer than {}", max_cname_chain));
      return false;
    }
    auto target = expand_name(message, cname->rdata.offset);
    if (!target || target->encoded_length != cname->rdata.length) {
      fail(response, "malformed CNAME RDATA");
      return false;
    }
    const auto& chain = response.meta.cname_chain;
    if (target->name == asked ||
        std::find(chain.begin(), chain.end(), target->name) != chain.end()) {
      fail(response, fmt::format("CNAME loop at {}", target->name));
      return false;
    }
    current = target->name;
    response.meta.cname_chain.push_back(std::move(target->name));
  }
  response.meta.canonical_name = std::move(current);
  return true;
}

template <typename Answer>
Answer& malformed(Answer& answer, std::string_view type) {
  answer.meta.outcome = Outcome::error;
  answer.meta.detail = fmt::format("malformed {} RDATA", type);
  answer.records.clear();
  return answer;
}

}  // namespace

std::string fold_name(std::string_view name) {
  if (name.ends_with('.')) {
    name.remove_suffix(1);
  }
  std::string out(name);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

bool question_matches(Message message, std::string_view qname, RrType qtype) {
  if (message.size() < header_size || message.size() > max_message_size) {
    return false;
  }
  return check_question(message, fold_name(qname), qtype).mismatch.empty();
}

Response parse_response(Message message, std::string_view qname, RrType qtype) {
  Response response;
  const std::string asked = fold_name(qname);
  response.meta.canonical_name = asked;
  if (message.size() < header_size) {
    return fail(response, "message shorter than a DNS header");
  }
  if (message.size() > max_message_size) {
    return fail(response, "message longer than 65535 octets");
  }
  const std::uint16_t flags = read_u16(message, 2);
  if ((flags & flag_qr) == 0) {
    return fail(response, "not a response (QR=0)");
  }
  if (const int opcode = (flags >> 11) & 0xF; opcode != 0) {
    return fail(response, fmt::format("opcode {} in the answer", opcode));
  }
  response.truncated = (flags & flag_tc) != 0;
  response.meta.authenticated = (flags & flag_ad) != 0;
  response.rcode = flags & 0xF;

  auto question = check_question(message, asked, qtype);
  if (!question.mismatch.empty()) {
    return fail(response, std::move(question.mismatch));
  }
  std::size_t offset = question.end;

  const std::uint16_t answer_count = read_u16(message, 6);
  const std::uint16_t authority_count = read_u16(message, 8);
  const std::uint16_t additional_count = read_u16(message, 10);
  std::vector<Rr> answers;
  answers.reserve(std::min<std::size_t>(answer_count, 64));
  for (std::uint16_t i = 0; i < answer_count; ++i) {
    auto rr = read_rr(message, offset, true);
    if (!rr) {
      return fail(response, "malformed answer section");
    }
    answers.push_back(std::move(*rr));
  }
  for (std::uint16_t i = 0; i < authority_count; ++i) {
    if (!read_rr(message, offset, false)) {
      return fail(response, "malformed authority section");
    }
  }
  bool seen_opt = false;
  for (std::uint16_t i = 0; i < additional_count; ++i) {
    const auto rr = read_rr(message, offset, false);
    if (!rr) {
      return fail(response, "malformed additional section");
    }
    if (rr->type == type_opt && !seen_opt) {
      seen_opt = true;
      response.rcode = static_cast<std::uint16_t>(response.rcode | ((rr->ttl >> 24) << 4));
    }
  }

  switch (response.rcode) {
    case rcode_noerror:
    case rcode_nxdomain:
      break;
    case rcode_servfail:
      response.meta.outcome = Outcome::servfail;
      return response;
    case rcode_refused:
      response.meta.outcome = Outcome::refused;
      return response;
    default:
      return fail(response, rcode_name(response.rcode));
  }
  if (response.truncated) {
    return fail(response, "truncated answer (TC=1)");
  }
  if (qtype != RrType::cname && !follow_cnames(message, answers, asked, response)) {
    return response;
  }
  if (response.rcode == rcode_nxdomain) {
    response.meta.outcome = Outcome::nxdomain;
    return response;
  }
  for (const Rr& rr : answers) {
    if (rr.type == static_cast<std::uint16_t>(qtype) && rr.rr_class == class_in &&
        rr.owner == response.meta.canonical_name) {
      response.records.push_back(rr.rdata);
    }
  }
  response.meta.outcome = response.records.empty() ? Outcome::nodata : Outcome::data;
  return response;
}

MxAnswer parse_mx_answer(Message message, std::string_view qname) {
  auto response = parse_response(message, qname, RrType::mx);
  MxAnswer answer;
  answer.meta = std::move(response.meta);
  answer.records.reserve(response.records.size());
  for (const RecordData& rdata : response.records) {
    if (rdata.length < 3) {
      return malformed(answer, "MX");
    }
    auto host = expand_name(message, rdata.offset + 2);
    if (!host || host->encoded_length != rdata.length - 2) {
      return malformed(answer, "MX");
    }
    answer.records.push_back(MxRecord{read_u16(message, rdata.offset), std::move(host->name)});
  }
  std::sort(answer.records.begin(), answer.records.end());
  return answer;
}

AddressAnswer parse_address_answer(Message message, std::string_view qname, RrType type) {
  auto response = parse_response(message, qname, type);
  AddressAnswer answer;
  answer.meta = std::move(response.meta);
  answer.addresses.reserve(response.records.size());
  for (const RecordData& rdata : response.records) {
    const auto bytes = message.subspan(rdata.offset, rdata.length);
    if (type == RrType::a && bytes.size() == 4) {
      boost::asio::ip::address_v4::bytes_type raw;
      std::copy(bytes.begin(), bytes.end(), raw.begin());
      answer.addresses.emplace_back(boost::asio::ip::address_v4(raw));
    } else if (type == RrType::aaaa && bytes.size() == 16) {
      boost::asio::ip::address_v6::bytes_type raw;
      std::copy(bytes.begin(), bytes.end(), raw.begin());
      answer.addresses.emplace_back(boost::asio::ip::address_v6(raw));
    } else {
      answer.addresses.clear();
      answer.meta.outcome = Outcome::error;
      answer.meta.detail = fmt::format("malformed {} RDATA", type == RrType::a ? "A" : "AAAA");
      return answer;
    }
  }
  return answer;
}

TxtAnswer parse_txt_answer(Message message, std::string_view qname) {
  auto response = parse_response(message, qname, RrType::txt);
  TxtAnswer answer;
  answer.meta = std::move(response.meta);
  answer.records.reserve(response.records.size());
  for (const RecordData& rdata : response.records) {
    std::string joined;
    std::size_t at = rdata.offset;
    const std::size_t end = rdata.offset + rdata.length;
    while (at < end) {
      const std::size_t length = message[at];
      if (at + 1 + length > end) {
        return malformed(answer, "TXT");
      }
      joined.append(reinterpret_cast<const char*>(message.data() + at + 1), length);
      at += 1 + length;
    }
    answer.records.push_back(std::move(joined));
  }
  return answer;
}

TlsaAnswer parse_tlsa_answer(Message message, std::string_view qname) {
  auto response = parse_response(message, qname, RrType::tlsa);
  TlsaAnswer answer;
  answer.meta = std::move(response.meta);
  answer.records.reserve(response.records.size());
  for (const RecordData& rdata : response.records) {
    if (rdata.length < 3) {
      return malformed(answer, "TLSA");
    }
    const auto bytes = message.subspan(rdata.offset, rdata.length);
    answer.records.push_back(TlsaRecord{bytes[0], bytes[1], bytes[2],
                                        std::vector<std::uint8_t>(bytes.begin() + 3, bytes.end())});
  }
  return answer;
}

}  // namespace mx::dns
