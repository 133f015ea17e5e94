#include "scanner/targets/exclude_list.hpp"

#include <fmt/format.h>
#include <boost/system/error_code.hpp>

#include "scanner/dns/domain_name.hpp"

namespace mx::targets {

namespace ip = boost::asio::ip;

namespace {

std::string_view trim(std::string_view text) {
  constexpr std::string_view blanks = " \t\r\f\v";
  const auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos)
    return {};
  const auto last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

bool is_address_like(std::string_view entry) {
  // Names have neither ':' nor '/', and no TLD is all digits; deciding first means
  // "10.0.0.300" or "10.0.0.0/8x" is reported as a bad address rather than as a bad name.
  if (entry.find_first_of(":/") != std::string_view::npos)
    return true;
  return entry.find_first_not_of("0123456789.") == std::string_view::npos;
}

}  // namespace

std::optional<ExcludeEntry> ExcludeList::match(const ip::address& address) const {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return match(ip::address(ip::make_address_v4(ip::v4_mapped, address.to_v6())));
  }
  const ExcludeEntry* best = nullptr;
  unsigned best_length = 0;
  if (address.is_v4()) {
    const auto v4 = address.to_v4();
    for (const auto& candidate : v4_) {
      const auto length = candidate.network.prefix_length();
      if ((best == nullptr || length > best_length) &&
          ip::network_v4(v4, length).canonical() == candidate.network) {
        best = &candidate.entry;
        best_length = length;
      }
    }
  } else {
    const auto v6 = address.to_v6();
    for (const auto& candidate : v6_) {
      const auto length = candidate.network.prefix_length();
      if ((best == nullptr || length > best_length) &&
          ip::network_v6(v6, length).canonical() == candidate.network) {
        best = &candidate.entry;
        best_length = length;
      }
    }
  }
  if (best == nullptr)
    return std::nullopt;
  return *best;
}

std::optional<ExcludeEntry> ExcludeList::match(std::string_view name) const {
  const ExcludeEntry* best = nullptr;
  std::size_t best_length = 0;
  for (const auto& candidate : names_) {
    const std::string_view suffix = candidate.name;
    const bool covers = name == suffix || (name.size() > suffix.size() && name.ends_with(suffix) &&
                                           name[name.size() - suffix.size() - 1] == '.');
    if (covers && (best == nullptr || suffix.size() > best_length)) {
      best = &candidate.entry;
      best_length = suffix.size();
    }
  }
  if (best == nullptr)
    return std::nullopt;
  return *best;
}

std::variant<ExcludeList, ExcludeProblem> parse_exclude_list(std::istream& in) {
  ExcludeList list;
  std::string raw;
  std::size_t number = 0;
  while (std::getline(in, raw)) {
    ++number;
    std::string_view line = raw;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const auto entry = trim(line);
    if (entry.empty())
      continue;
    if (entry.find_first_of(" \t") != std::string_view::npos) {
      return ExcludeProblem{number, fmt::format("more than one entry on a line: \"{}\"", entry)};
    }
    if (is_address_like(entry)) {
      const auto slash = entry.find('/');
      const std::string address_text(entry.substr(0, slash));
      boost::system::error_code error;
      const auto address = ip::make_address(address_text, error);
      if (error) {
        return ExcludeProblem{number, fmt::format("not an IP address: \"{}\"", address_text)};
      }
      const unsigned max_length = address.is_v4() ? 32 : 128;
      unsigned length = max_length;
      if (slash != std::string_view::npos) {
        const auto digits = entry.substr(slash + 1);
        if (digits.empty() || digits.size() > 3 ||
            digits.find_first_not_of("0123456789") != std::string_view::npos) {
          return ExcludeProblem{number, fmt::format("not a prefix length: \"{}\"", entry)};
        }
        length = static_cast<unsigned>(std::stoul(std::string(digits)));
        if (length > max_length) {
          return ExcludeProblem{number,
                                fmt::format("prefix length over {}: \"{}\"", max_length, entry)};
        }
      }
      // A network written with host bits set (10.0.0.1/8) is most likely a typo for another
      // network; refusing it beats silently widening or narrowing what the operator meant.
      // An IPv4-mapped network (::ffff:10.0.0.0/104) is the IPv4 network it maps, which is how
      // match() sees a mapped address.
      const bool mapped = address.is_v6() && address.to_v6().is_v4_mapped() && length >= 96;
      if (address.is_v4() || mapped) {
        const auto v4 =
            mapped ? ip::make_address_v4(ip::v4_mapped, address.to_v6()) : address.to_v4();
        const ip::network_v4 network(v4,
                                     static_cast<unsigned short>(mapped ? length - 96 : length));
        if (network.canonical() != network) {
          return ExcludeProblem{number, fmt::format("host bits set in \"{}\"", entry)};
        }
        list.v4_.push_back({network, {number, network.to_string()}});
      } else {
        const ip::network_v6 network(address.to_v6(), static_cast<unsigned short>(length));
        if (network.canonical() != network) {
          return ExcludeProblem{number, fmt::format("host bits set in \"{}\"", entry)};
        }
        list.v6_.push_back({network, {number, network.to_string()}});
      }
      continue;
    }
    auto name_text = entry;
    if (name_text.starts_with("*.")) {
      name_text.remove_prefix(2);
    } else if (name_text.starts_with(".")) {
      name_text.remove_prefix(1);
    }
    auto name = dns::normalise_domain(name_text);
    if (const auto* invalid = std::get_if<dns::InvalidName>(&name)) {
      return ExcludeProblem{number,
                            fmt::format("not a domain name ({}): \"{}\"", invalid->reason, entry)};
    }
    auto& canonical = std::get<std::string>(name);
    list.names_.push_back({canonical, {number, canonical}});
  }
  return list;
}

}  // namespace mx::targets
