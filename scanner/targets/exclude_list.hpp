#pragma once
// An operator's exclude list (--exclude FILE): names and addresses a scan must never look up or
// contact. The format is the blocklist convention of internet scanners (zmap's blocklist.conf):
// one entry a line, `#` starts a comment anywhere on a line, blank lines are ignored. An entry is
//   - an IPv4 or IPv6 network in CIDR form (10.0.0.0/8, 2001:db8::/32),
//   - a bare IPv4 or IPv6 address (a /32 or /128),
//   - a domain name, which excludes that name and every name below it (example.com excludes
//     mx.example.com); a leading "*." or "." means the same and is accepted for lists that use it.
// So an existing zmap opt-out list works unchanged, and names extend it. Parsing and matching are
// pure. A match costs one hash lookup per prefix length in use (networks) or per label (names),
// whatever the size of the list: every address and name of a scan is matched.

#include <array>
#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

namespace mx::targets {

// Which entry matched, for messages: "exclude.conf:12 (10.0.0.0/8)".
struct ExcludeEntry {
  std::size_t line = 0;  // 1-based line of the file
  std::string text;      // the entry as normalised: "10.0.0.0/8", "example.com"
};

// Why a file is not an exclude list: the first malformed line.
struct ExcludeProblem {
  std::size_t line = 0;
  std::string reason;  // "host bits set in 10.0.0.1/8", ...
};

class ExcludeList {
 public:
  // The entry excluding `ip`, the most specific when several do; nullopt when none does.
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address it maps to.
  [[nodiscard]] std::optional<ExcludeEntry> match(const boost::asio::ip::address& ip) const;
  // The entry excluding the canonical name `name` (lower case, no trailing dot), the closest
  // suffix when several do; nullopt when none does.
  [[nodiscard]] std::optional<ExcludeEntry> match(std::string_view name) const;

  // Distinct entries (a network or name listed twice counts once, under its first line).
  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }

  friend std::variant<ExcludeList, ExcludeProblem> parse_exclude_list(std::istream& in);

 private:
  using V6Bytes = boost::asio::ip::address_v6::bytes_type;
  // By prefix length, longest first, so that the first hit is the most specific; keyed by the
  // network's address.
  std::map<unsigned, std::unordered_map<std::uint32_t, ExcludeEntry>, std::greater<>> v4_;
  std::map<unsigned, std::map<V6Bytes, ExcludeEntry>, std::greater<>> v6_;
  std::unordered_map<std::string, ExcludeEntry> names_;
  std::size_t size_ = 0;
};

// "excluded by the exclude list, line 3 (10.0.0.0/8)": the words every verdict and fetch uses.
[[nodiscard]] std::string describe(const ExcludeEntry& entry);

// The list in `in`, or its first malformed line.
[[nodiscard]] std::variant<ExcludeList, ExcludeProblem> parse_exclude_list(std::istream& in);

}  // namespace mx::targets
