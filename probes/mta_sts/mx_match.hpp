#pragma once
// MX host validation against a policy's mx patterns (RFC 8461 §4.1). Pure.
//
// A pattern is a host name, or "*." and a host name; the wildcard stands for exactly one whole
// extra label: "*.example.com" matches "mx.example.com", not "example.com" and not
// "a.mx.example.com". Comparison is ASCII case-insensitive, and one trailing dot on either side is
// ignored, since DNS answers and policies spell names both ways.
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mx::probes::mta_sts {

// False when either side is empty (or just "."), and for a wildcard with nothing after "*.".
[[nodiscard]] bool mx_pattern_matches(std::string_view pattern, std::string_view host) noexcept;

// The hosts, in their order, that match none of the patterns: CONTRACT.md's `mta-sts.mx-match`
// mismatch. `hosts`: the MX targets from DNS, without the null MX.
[[nodiscard]] std::vector<std::string> unmatched_hosts(std::span<const std::string> hosts,
                                                       std::span<const std::string> patterns);

}  // namespace mx::probes::mta_sts
