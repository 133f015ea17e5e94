#include "list/pattern.hpp"

#include <algorithm>
#include <variant>

#include "probes/mta_sts/mx_match.hpp"
#include "scanner/dns/domain_name.hpp"

namespace mx::list {

std::string_view to_string(Mode mode) {
  return mode == Mode::enforce ? "enforce" : "testing";
}

std::optional<Mode> parse_mode(std::string_view text) {
  if (text == "testing") {
    return Mode::testing;
  }
  if (text == "enforce") {
    return Mode::enforce;
  }
  return std::nullopt;
}

std::optional<std::string> normalise_pattern(std::string_view pattern) {
  bool wildcard = false;
  if (pattern.starts_with("*.")) {
    pattern.remove_prefix(2);
    wildcard = true;
  } else if (pattern.starts_with('.')) {
    pattern.remove_prefix(1);
    wildcard = true;
  }
  // normalise_domain accepts one trailing dot; a leading one left here ("..x") is refused by it.
  auto name = dns::normalise_domain(pattern);
  auto* canonical = std::get_if<std::string>(&name);
  if (canonical == nullptr || canonical->find('.') == std::string::npos) {
    return std::nullopt;
  }
  return wildcard ? "." + *canonical : *canonical;
}

bool pattern_matches(std::string_view pattern, std::string_view host) {
  if (pattern.starts_with('.')) {
    std::string wildcard = "*";
    wildcard += pattern;
    return probes::mta_sts::mx_pattern_matches(wildcard, host);
  }
  return probes::mta_sts::mx_pattern_matches(pattern, host);
}

bool any_pattern_matches(const std::vector<std::string>& patterns, std::string_view host) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return pattern_matches(p, host); });
}

}  // namespace mx::list
