#include "scanner/dns/answers.hpp"

#include <algorithm>

namespace mx::dns {

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::data:
      return "data";
    case Outcome::nodata:
      return "nodata";
    case Outcome::nxdomain:
      return "nxdomain";
    case Outcome::servfail:
      return "servfail";
    case Outcome::refused:
      return "refused";
    case Outcome::timeout:
      return "timeout";
    case Outcome::error:
      return "error";
  }
  return "error";
}

std::string_view to_string(RrType type) {
  switch (type) {
    case RrType::a:
      return "a";
    case RrType::cname:
      return "cname";
    case RrType::soa:
      return "soa";
    case RrType::mx:
      return "mx";
    case RrType::txt:
      return "txt";
    case RrType::aaaa:
      return "aaaa";
    case RrType::tlsa:
      return "tlsa";
  }
  return "unknown";
}

namespace {

bool is_null_target(const MxRecord& record) {
  return record.host.empty();
}

}  // namespace

bool MxAnswer::null_mx() const {
  return meta.outcome == Outcome::data && records.size() == 1 && records.front().preference == 0 &&
         is_null_target(records.front());
}

bool MxAnswer::null_mx_mixed() const {
  return meta.outcome == Outcome::data && records.size() > 1 &&
         std::any_of(records.begin(), records.end(), is_null_target);
}

std::vector<MxRecord> mail_hosts(const MxAnswer& answer, std::string_view domain,
                                 std::size_t limit) {
  std::vector<MxRecord> hosts;
  if (answer.meta.outcome == Outcome::nodata) {
    hosts.push_back(MxRecord{0, std::string(domain)});
    return hosts;
  }
  if (answer.meta.outcome != Outcome::data) {
    return hosts;
  }
  for (const auto& record : answer.records) {
    const bool seen = std::any_of(hosts.begin(), hosts.end(),
                                  [&](const MxRecord& h) { return h.host == record.host; });
    if (!is_null_target(record) && !seen && hosts.size() < limit) {
      hosts.push_back(record);
    }
  }
  return hosts;
}

}  // namespace mx::dns
