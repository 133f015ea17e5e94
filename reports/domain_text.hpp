#pragma once
// A judged domain as text for a terminal: the verdict first, then each failing or noteworthy
// check with its explanation, then the facts (MX hosts, addresses, TLS, certificate).

#include <string>

#include "judge/result.hpp"

namespace mx::reports {

struct TextStyle {
  bool colour = false;  // ANSI colours (only on a terminal)
};

[[nodiscard]] std::string domain_text(const judge::DomainResult& domain, TextStyle style = {});

}  // namespace mx::reports
