#pragma once
// An operator's exclude list (--exclude FILE): names and addresses a scan must never look up or
// contact. The format is the blocklist convention of internet scanners (zmap's blocklist.conf):
// one entry a line, `#` starts a comment anywhere on a line, blank lines are ignored. An entry is
//   - an IPv4 or IPv6 network in CIDR form (10.0.0.0/8, 2001:db8::/32),
//   - a bare IPv4 or IPv6 address (a /32 or /128),
//   - a domain name, which excludes that name and every name below it (example.com excludes
//     mx.example.com); a leading "*." or "." means the same and is accepted for lists that use it.
// So an existing zmap opt-out list works unchanged, and names extend it. Parsing and matching are
// pure.

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
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

  [[nodiscard]] std::size_t size() const { return v4_.size() + v6_.size() + names_.size(); }
  [[nodiscard]] bool empty() const { return size() == 0; }

  friend std::variant<ExcludeList, ExcludeProblem> parse_exclude_list(std::istream& in);

 private:
  struct V4 {
    boost::asio::ip::network_v4 network;
    ExcludeEntry entry;
  };
  struct V6 {
    boost::asio::ip::network_v6 network;
    ExcludeEntry entry;
  };
  struct Name {
    std::string name;
    ExcludeEntry entry;
  };
  std::vector<V4> v4_;
  std::vector<V6> v6_;
  std::vector<Name> names_;
};

// The list in `in`, or its first malformed line.
[[nodiscard]] std::variant<ExcludeList, ExcludeProblem> parse_exclude_list(std::istream& in);

}  // namespace mx::targets
