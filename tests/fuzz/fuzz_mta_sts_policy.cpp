// Fuzzes the MTA-STS policy parser with whatever a policy host could serve, and MX matching with
// the patterns it yields. Besides not crashing, a parsed policy must satisfy the rules it was
// checked against (version, mode, max_age cap, mx required unless mode none, valid patterns),
// findings must carry the severity their place implies, a reason must be printable, and every
// pattern must match the hosts it stands for. A broken property aborts, which libFuzzer and the
// corpus replay both report.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "probes/mta_sts/mx_match.hpp"
#include "probes/mta_sts/policy.hpp"

namespace {

using mx::probes::Severity;
using mx::probes::mta_sts::is_mx_pattern;
using mx::probes::mta_sts::Mode;
using mx::probes::mta_sts::mx_pattern_matches;
using mx::probes::mta_sts::PolicyError;

void require(bool property) {
  if (!property) {
    std::abort();
  }
}

bool is_printable(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '\x20' && c <= '\x7e'; });
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; });
  return out;
}

void check_pattern(std::string_view pattern) {
  const std::string_view name =
      pattern.ends_with('.') ? pattern.substr(0, pattern.size() - 1) : pattern;
  require(is_mx_pattern(name));
  if (name.starts_with("*.")) {
    const std::string_view suffix = name.substr(2);
    require(mx_pattern_matches(pattern, "mx." + std::string(suffix)));
    require(mx_pattern_matches(pattern, upper("mx." + std::string(suffix) + ".")));
    require(!mx_pattern_matches(pattern, suffix));
    require(!mx_pattern_matches(pattern, "a.mx." + std::string(suffix)));
  } else {
    require(mx_pattern_matches(pattern, name));
    require(mx_pattern_matches(upper(pattern), std::string(name) + "."));
    require(!mx_pattern_matches(pattern, "a." + std::string(name)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  const auto parsed = mx::probes::mta_sts::parse_policy(bytes);
  if (parsed.has_value()) {
    require(size <= mx::probes::mta_sts::max_policy_octets);
    require(parsed->version == "STSv1");
    require(parsed->max_age <= mx::probes::mta_sts::max_age_cap);
    require(parsed->mode == Mode::none || !parsed->mx.empty());
    for (const std::string& pattern : parsed->mx) {
      check_pattern(pattern);
    }
    for (auto it = parsed->findings.begin(); it != parsed->findings.end(); ++it) {
      require(severity(*it) != Severity::invalid);
      require(std::find(it + 1, parsed->findings.end(), *it) == parsed->findings.end());
    }
    require(mx::probes::mta_sts::unmatched_hosts(parsed->invalid_mx, parsed->mx).size() <=
            parsed->invalid_mx.size());
  } else {
    const auto& failure = parsed.error();
    require(is_printable(failure.reason));
    require(severity(failure.finding) == Severity::invalid);
    require((failure.error == PolicyError::too_large) ==
            (size > mx::probes::mta_sts::max_policy_octets));
  }

  // Matching on raw input too: the first line as the pattern, the rest as the host. Case never
  // matters, and neither does one trailing dot.
  const std::size_t newline = std::min(bytes.find('\n'), bytes.size());
  const std::string_view pattern = bytes.substr(0, newline);
  const std::string_view host = bytes.substr(std::min(newline + 1, bytes.size()));
  const bool matches = mx_pattern_matches(pattern, host);
  require(mx_pattern_matches(upper(pattern), host) == matches);
  require(mx_pattern_matches(pattern, upper(host)) == matches);
  if (!host.empty() && !host.ends_with('.')) {
    require(mx_pattern_matches(pattern, std::string(host) + ".") == matches);
  }
  return 0;
}
