#pragma once
// Mail domain names as users type them, made canonical: IDNA 2008 to A-labels (libidn2), lower
// case, no trailing dot; or the reason the name cannot be a mail domain. Pure.

#include <string>
#include <string_view>
#include <variant>

namespace mx::dns {

struct InvalidName {
  std::string reason;  // "label longer than 63 octets", ...
};

// A canonical name, or why `input` is not one.
[[nodiscard]] std::variant<std::string, InvalidName> normalise_domain(std::string_view input);

}  // namespace mx::dns
