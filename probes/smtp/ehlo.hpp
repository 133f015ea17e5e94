#pragma once
// What a server offers in its EHLO reply (RFC 5321 §4.1.1.1, §4.1.4; STARTTLS from RFC 3207).
// Pure: it reads a parsed Reply, which already passed the reply parser's caps.
//
//   ehlo-ok-rsp  = "250" SP domain [SP ehlo-greet] CRLF
//                / "250-" domain [SP ehlo-greet] CRLF *("250-" ehlo-line CRLF) "250" SP ehlo-line
//                CRLF
//   ehlo-line    = ehlo-keyword *(SP ehlo-param)
//   ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
//
// Keywords are case-insensitive: "starttls" is STARTTLS, wherever it appears among the lines,
// while "XSTARTTLS" is another extension. Spaces and tabs both separate words, as in real clients.
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "probes/smtp/reply_parser.hpp"

namespace mx::probes::smtp {

enum class EhloError : std::uint8_t {
  // The reply is not 250: EHLO was refused (a HELO fallback offers no extensions) or the reply
  // belongs to another command.
  not_250 = 1,
};

[[nodiscard]] std::string_view to_string(EhloError error);
[[nodiscard]] const boost::system::error_category& ehlo_category() noexcept;
[[nodiscard]] boost::system::error_code make_error_code(EhloError error) noexcept;

struct Extension {
  std::string keyword;              // upper-cased
  std::vector<std::string> params;  // the words after the keyword, as sent

  bool operator==(const Extension&) const = default;
};

struct EhloCapabilities {
  std::string domain;                 // the first word of the first line, as sent
  std::string greeting;               // the rest of the first line, as sent
  std::vector<Extension> extensions;  // in the order offered; each keyword once, first one wins
  std::vector<std::string> invalid_lines;       // lines whose first word is not an ehlo-keyword
  std::vector<std::string> duplicate_keywords;  // keywords offered again, upper-cased, each once

  // RFC 5321 requires the server's domain first; "250\r\n" and "250 \r\n" lack it.
  [[nodiscard]] bool missing_domain() const noexcept { return domain.empty(); }
  // Case-insensitive; nullptr when not offered.
  [[nodiscard]] const Extension* find(std::string_view keyword) const;
  [[nodiscard]] bool has(std::string_view keyword) const { return find(keyword) != nullptr; }
  [[nodiscard]] bool starttls() const { return has("STARTTLS"); }
  // RFC 8689: the server can relay with TLS required end to end.
  [[nodiscard]] bool requiretls() const { return has("REQUIRETLS"); }
  // The SIZE limit in octets (RFC 1870), 0 meaning none declared; nullopt when SIZE is not
  // offered or its parameter is absent or not a decimal number that fits.
  [[nodiscard]] std::optional<std::uint64_t> size() const;
  // The SASL mechanisms offered with AUTH (RFC 4954), as sent; empty when AUTH is not offered.
  [[nodiscard]] std::span<const std::string> auth_mechanisms() const;

  bool operator==(const EhloCapabilities&) const = default;
};

// Fails with EhloError::not_250 unless reply.code is 250; a one-line 250 (as HELO gets) yields
// the domain and no extensions.
[[nodiscard]] boost::system::result<EhloCapabilities> parse_ehlo(const Reply& reply);

}  // namespace mx::probes::smtp

template <>
struct boost::system::is_error_code_enum<mx::probes::smtp::EhloError> : std::true_type {};
