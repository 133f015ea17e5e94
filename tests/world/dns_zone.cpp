#include "tests/world/dns_zone.hpp"

#include <stdexcept>
#include <utility>

#include "tests/world/dns_wire.hpp"

namespace mx::world {

namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

void require_encodable(const std::string& name, const char* what) {
  if (!split_name(name)) {
    throw std::invalid_argument(std::string("Zone: ") + what + " cannot be encoded: '" + name +
                                "'");
  }
}

void require_targets_encodable(const RData& data) {
  if (const auto* mx = std::get_if<MxData>(&data)) {
    require_encodable(mx->exchange, "MX exchange");
  } else if (const auto* cname = std::get_if<CnameData>(&data)) {
    require_encodable(cname->target, "CNAME target");
  }
}

}  // namespace

RrType rr_type(const RData& data) {
  return std::visit(Overloaded{
                        [](const boost::asio::ip::address_v4&) { return RrType::a; },
                        [](const boost::asio::ip::address_v6&) { return RrType::aaaa; },
                        [](const MxData&) { return RrType::mx; },
                        [](const TxtData&) { return RrType::txt; },
                        [](const CnameData&) { return RrType::cname; },
                        [](const TlsaData&) { return RrType::tlsa; },
                    },
                    data);
}

std::string Zone::canonical(const std::string& name) {
  std::string result = name;
  if (!result.empty() && result.back() == '.') {
    result.pop_back();
  }
  for (char& c : result) {
    // ASCII only: DNS compares names case-insensitively for A-Z alone (RFC 4343).
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return result;
}

void Zone::add(Record record) {
  require_encodable(record.name, "owner name");
  require_targets_encodable(record.data);
  auto key = canonical(record.name);
  records_.emplace(std::move(key), std::move(record));
}

void Zone::add_a(const std::string& name, const std::string& ip) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address_v4(ip, ec);
  if (ec) {
    throw std::invalid_argument("Zone: not an IPv4 address: '" + ip + "'");
  }
  add(Record{.name = name, .data = address});
}

void Zone::add_aaaa(const std::string& name, const std::string& ip) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address_v6(ip, ec);
  if (ec) {
    throw std::invalid_argument("Zone: not an IPv6 address: '" + ip + "'");
  }
  add(Record{.name = name, .data = address});
}

void Zone::add_mx(const std::string& name, std::uint16_t preference, const std::string& exchange) {
  add(Record{.name = name, .data = MxData{.preference = preference, .exchange = exchange}});
}

void Zone::add_txt(const std::string& name, std::vector<std::string> strings) {
  add(Record{.name = name, .data = TxtData{.strings = std::move(strings)}});
}

void Zone::add_cname(const std::string& name, const std::string& target) {
  add(Record{.name = name, .data = CnameData{.target = target}});
}

void Zone::add_tlsa(const std::string& name, TlsaData tlsa) {
  add(Record{.name = name, .data = std::move(tlsa)});
}

void Zone::set_behaviour(const std::string& name, Behaviour behaviour) {
  behaviours_[canonical(name)] = behaviour;
}

void Zone::set_default_behaviour(Behaviour behaviour) {
  default_behaviour_ = behaviour;
}

const Behaviour& Zone::behaviour(const std::string& name) const {
  const auto found = behaviours_.find(canonical(name));
  return found == behaviours_.end() ? default_behaviour_ : found->second;
}

bool Zone::name_exists(const std::string& name) const {
  return records_.find(canonical(name)) != records_.end();
}

std::vector<Record> Zone::records(const std::string& name, RrType type) const {
  std::vector<Record> result;
  const auto [first, last] = records_.equal_range(canonical(name));
  for (auto it = first; it != last; ++it) {
    if (rr_type(it->second.data) == type) {
      result.push_back(it->second);
    }
  }
  return result;
}

std::optional<Record> Zone::cname(const std::string& name) const {
  const auto [first, last] = records_.equal_range(canonical(name));
  for (auto it = first; it != last; ++it) {
    if (std::holds_alternative<CnameData>(it->second.data)) {
      return it->second;
    }
  }
  return std::nullopt;
}

}  // namespace mx::world
