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
  if (address.is_v4()) {
    const auto v4 = address.to_v4();
    for (const auto& [length, networks] : v4_) {
      const auto key =
          ip::network_v4(v4, static_cast<unsigned short>(length)).canonical().address().to_uint();
      if (const auto found = networks.find(key); found != networks.end()) {
        return found->second;
      }
    }
    return std::nullopt;
  }
  const auto v6 = address.to_v6();
  for (const auto& [length, networks] : v6_) {
    const auto key =
        ip::network_v6(v6, static_cast<unsigned short>(length)).canonical().address().to_bytes();
    if (const auto found = networks.find(key); found != networks.end()) {
      return found->second;
    }
  }
  return std::nullopt;
}

std::optional<ExcludeEntry> ExcludeList::match(std::string_view name) const {
  // The name itself, then each parent: the first hit is the closest suffix.
  while (!name.empty()) {
    if (const auto found = names_.find(std::string(name)); found != names_.end()) {
      return found->second;
    }
    const auto dot = name.find('.');
    if (dot == std::string_view::npos) {
      break;
    }
    name.remove_prefix(dot + 1);
  }
  return std::nullopt;
}

std::string describe(const ExcludeEntry& entry) {
  return fmt::format("excluded by the exclude list, line {} ({})", entry.line, entry.text);
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
        if (list.v4_[network.prefix_length()]
                .try_emplace(network.address().to_uint(), ExcludeEntry{number, network.to_string()})
                .second) {
          ++list.size_;
        }
      } else {
        const ip::network_v6 network(address.to_v6(), static_cast<unsigned short>(length));
        if (network.canonical() != network) {
          return ExcludeProblem{number, fmt::format("host bits set in \"{}\"", entry)};
        }
        if (list.v6_[network.prefix_length()]
                .try_emplace(network.address().to_bytes(),
                             ExcludeEntry{number, network.to_string()})
                .second) {
          ++list.size_;
        }
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
    if (list.names_.try_emplace(canonical, ExcludeEntry{number, canonical}).second) {
      ++list.size_;
    }
  }
  return list;
}

}  // namespace mx::targets
