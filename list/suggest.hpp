#pragma once
// Patterns a maintainer would write for the MX hosts a domain was seen to use: hosts grouped by
// their registrable domain (the Public Suffix List, through libpsl), and within a group, hosts
// that share a parent name below the public suffix written as one wildcard pattern (".parent":
// mx1.mail.example.co.uk and mx2.mail.example.co.uk give ".mail.example.co.uk"), a host alone
// under its parent (or whose parent is a public suffix or a registrable domain of someone else)
// written as itself. Never a pattern that covers a public suffix. Deterministic: sorted output.
// A top-level domain the list does not name (`test`, the test world's) is a public suffix, by the
// list's implicit "*" rule, so `d1.test` is a registrable domain as `example.com` is.
// Thread-safe: the list is loaded once, on first use, and only read afterwards.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mx::list {

// The registrable domain of `host` (eTLD+1, "example.co.uk" for "mx.mail.example.co.uk"), or
// nullopt when `host` is itself a public suffix or has none.
[[nodiscard]] std::optional<std::string> registrable_domain(std::string_view host);

// Whether `name` is a public suffix ("co.uk", "com"), by the Public Suffix List.
[[nodiscard]] bool is_public_suffix(std::string_view name);

// Suggested patterns for `hosts` (canonical MX host names, any order, duplicates allowed).
[[nodiscard]] std::vector<std::string> suggest_patterns(const std::vector<std::string>& hosts);

}  // namespace mx::list
