#pragma once
// How much a parser's finding weighs. Parsers of peer data name what they saw and grade it; the
// judge decides what a grade means for a check's status and code.

#include <cstdint>
#include <string_view>

namespace mx::probes {

enum class Severity : std::uint8_t {
  notice,   // worth recording, nothing to fix
  warning,  // accepted, but worth fixing: a stricter implementation may reject it
  invalid,  // the input breaks its grammar and is not usable
};

[[nodiscard]] constexpr std::string_view to_string(Severity severity) noexcept {
  switch (severity) {
    case Severity::notice:
      return "notice";
    case Severity::warning:
      return "warning";
    case Severity::invalid:
      return "invalid";
  }
  return "unknown";
}

}  // namespace mx::probes
