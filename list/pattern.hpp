#pragma once
// Modes and mx patterns of the policy list (CONTRACT.md "The STARTTLS policy list"). A pattern is
// a host name, or a host name with a leading "." (or "*.") that matches exactly one more label:
// ".example.com" matches "mx.example.com", not "example.com" and not "a.mx.example.com". The
// canonical form is the list's own: A-labels, lower case, no trailing dot, a wildcard written
// with a leading ".". Matching is MTA-STS's (RFC 8461 §4.1), whose rule this is. Pure.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mx::list {

enum class Mode : unsigned char { testing, enforce };

[[nodiscard]] std::string_view to_string(Mode mode);
[[nodiscard]] std::optional<Mode> parse_mode(std::string_view text);

// A pattern's canonical form, or nullopt when it is not one: the host name part must be a valid
// domain name of at least two labels.
[[nodiscard]] std::optional<std::string> normalise_pattern(std::string_view pattern);

// Case and one trailing dot on either side are ignored.
[[nodiscard]] bool pattern_matches(std::string_view pattern, std::string_view host);

// Whether some pattern of `patterns` matches `host`.
[[nodiscard]] bool any_pattern_matches(const std::vector<std::string>& patterns,
                                       std::string_view host);

}  // namespace mx::list
