#include "scanner/dns/domain_name.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>
#include <idn2.h>

namespace mx::dns {
namespace {

bool is_ldh(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

struct FreeDeleter {
  void operator()(char* p) const {
    std::free(p);
  }  // NOLINT(cppcoreguidelines-no-malloc): idn2 allocates
};

}  // namespace

std::variant<std::string, InvalidName> normalise_domain(std::string_view input) {
  if (input.empty()) {
    return InvalidName{"empty name"};
  }
  if (input.ends_with('.')) {
    input.remove_suffix(1);
  }
  if (input.empty() || input.size() > 1000) {
    return InvalidName{"not a domain name"};
  }
  if (std::any_of(input.begin(), input.end(),
                  [](unsigned char c) { return c <= 0x20 || c == 0x7f; })) {
    return InvalidName{"contains spaces or control characters"};
  }
  std::string name = ascii_lower(input);
  const bool ascii =
      std::all_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x80; });
  if (!ascii || name.find("xn--") != std::string::npos) {
    char* out = nullptr;
    const int rc = idn2_to_ascii_8z(name.c_str(), &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    const std::unique_ptr<char, FreeDeleter> owned(out);
    if (rc != IDN2_OK) {
      return InvalidName{fmt::format("not a valid internationalised name ({})", idn2_strerror(rc))};
    }
    name = ascii_lower(owned.get());
  }
  if (name.size() > 253) {
    return InvalidName{"longer than 253 octets"};
  }
  std::size_t start = 0;
  std::size_t labels = 0;
  std::string_view last;
  while (start <= name.size()) {
    const auto dot = std::min(name.find('.', start), name.size());
    const std::string_view label(name.data() + start, dot - start);
    if (label.empty()) {
      return InvalidName{"empty label"};
    }
    if (label.size() > 63) {
      return InvalidName{"label longer than 63 octets"};
    }
    if (!std::all_of(label.begin(), label.end(), is_ldh)) {
      return InvalidName{
          fmt::format("label '{}' has characters other than letters, digits and '-'", label)};
    }
    if (label.front() == '-' || label.back() == '-') {
      return InvalidName{fmt::format("label '{}' starts or ends with '-'", label)};
    }
    ++labels;
    last = label;
    start = dot + 1;
  }
  if (labels < 2) {
    return InvalidName{"not a fully qualified domain name"};
  }
  if (std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return InvalidName{"an address, not a domain name"};
  }
  return name;
}

}  // namespace mx::dns
