#include "probes/tlsrpt/txt_record.hpp"

#include <algorithm>
#include <utility>

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

namespace mx::probes::tlsrpt {

namespace {

using mta_sts::equals_ignoring_case;
using mta_sts::quoted;

constexpr std::string_view version = "v=TLSRPTv1";

// Boost makes error_category's destructor protected and non-virtual on purpose (categories are
// never deleted through a base pointer); GCC still flags every derived category.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class TxtCategory final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "mx.tlsrpt_txt"; }

  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<TxtError>(value)) {
      case TxtError::absent:
        return "no TLSRPT TXT record";
      case TxtError::multiple:
        return "more than one TLSRPT TXT record";
      case TxtError::syntax:
        return "the TLSRPT TXT record is syntactically invalid";
    }
    return "unknown TLSRPT TXT error";
  }
};
#pragma GCC diagnostic pop

bool is_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// scheme = ALPHA *(ALPHA / DIGIT / "+" / "-" / ".") (RFC 3986 §3.1)
bool is_scheme(std::string_view scheme) {
  return !scheme.empty() && is_alpha(scheme.front()) &&
         std::all_of(scheme.begin(), scheme.end(), [](char c) {
           return is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.';
         });
}

// A host name as a mail domain or URI host: dot-separated labels of letters, digits and hyphens,
// one trailing dot allowed. Minimal on purpose: enough to tell an address from garbage.
bool is_host_name(std::string_view host) {
  if (host.ends_with('.')) {
    host.remove_suffix(1);
  }
  if (host.empty() || host.size() > 253) {
    return false;
  }
  while (true) {
    const std::size_t dot = host.find('.');
    const std::string_view label = host.substr(0, dot);
    if (label.empty() || label.size() > 63 || !std::all_of(label.begin(), label.end(), [](char c) {
          return is_alpha(c) || is_digit(c) || c == '-';
        })) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    host.remove_prefix(dot + 1);
  }
}

// An IP-literal's content between the brackets (RFC 3986 §3.2.2), checked loosely.
bool is_ip_literal(std::string_view inside) {
  return !inside.empty() && std::all_of(inside.begin(), inside.end(), [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
           c == '.' || c == 'v' || c == 'V';
  });
}

// addr-spec-ish: local "@" domain, the domain a host name or a bracketed literal.
bool is_mailto_address(std::string_view address) {
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0) {
    return false;
  }
  const std::string_view domain = address.substr(at + 1);
  if (domain.size() > 2 && domain.front() == '[' && domain.back() == ']') {
    return is_ip_literal(domain.substr(1, domain.size() - 2));
  }
  return is_host_name(domain);
}

// "//" authority, where authority = [userinfo "@"] host [":" port] (RFC 3986 §3.2).
bool has_https_host(std::string_view rest) {
  if (!rest.starts_with("//")) {
    return false;
  }
  rest.remove_prefix(2);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view port;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos || !is_ip_literal(authority.substr(1, close - 1))) {
      return false;
    }
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      return false;
    }
    port = after.empty() ? after : after.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    if (!is_host_name(authority.substr(0, colon))) {
      return false;
    }
    port = colon == std::string_view::npos ? std::string_view() : authority.substr(colon + 1);
  }
  return std::all_of(port.begin(), port.end(), is_digit);
}

struct UriProblem {
  TxtFinding finding;
  std::string reason;
};

std::optional<UriProblem> check_uri(std::string_view uri) {
  if (uri.empty()) {
    return UriProblem{TxtFinding::empty_uri, "rua holds an empty URI"};
  }
  const std::size_t colon = uri.find(':');
  if (colon == std::string_view::npos || !is_scheme(uri.substr(0, colon))) {
    return UriProblem{TxtFinding::unsupported_scheme, "the URI " + quoted(uri) + " has no scheme"};
  }
  const std::string_view scheme = uri.substr(0, colon);
  const bool mailto = equals_ignoring_case(scheme, "mailto");
  if (!mailto && !equals_ignoring_case(scheme, "https")) {
    return UriProblem{TxtFinding::unsupported_scheme,
                      "the URI " + quoted(uri) + " is neither mailto: nor https:"};
  }
  const bool printable =
      std::all_of(uri.begin(), uri.end(), [](char c) { return c >= '\x21' && c <= '\x7e'; });
  const std::string_view rest = uri.substr(colon + 1);
  if (mailto && !(printable && is_mailto_address(rest.substr(0, rest.find('?'))))) {
    return UriProblem{TxtFinding::invalid_mailto,
                      "the URI " + quoted(uri) + " does not name a local@domain address"};
  }
  if (!mailto && !(printable && has_https_host(rest))) {
    return UriProblem{TxtFinding::invalid_https, "the URI " + quoted(uri) + " has no valid host"};
  }
  return std::nullopt;
}

void note(std::vector<TxtFinding>& findings, TxtFinding finding) {
  if (std::find(findings.begin(), findings.end(), finding) == findings.end()) {
    findings.push_back(finding);
  }
}

TxtFailure syntax(std::string_view record, TxtFinding finding, std::string reason) {
  return TxtFailure{.error = TxtError::syntax,
                    .finding = finding,
                    .reason = std::move(reason),
                    .records = {std::string(record)}};
}

}  // namespace

std::string_view to_string(TxtError error) {
  switch (error) {
    case TxtError::absent:
      return "absent";
    case TxtError::multiple:
      return "multiple";
    case TxtError::syntax:
      return "syntax";
  }
  return "unknown";
}

const boost::system::error_category& txt_category() noexcept {
  static const TxtCategory category;
  return category;
}

boost::system::error_code make_error_code(TxtError error) noexcept {
  return {static_cast<int>(error), txt_category()};
}

std::string_view to_string(TxtFinding finding) {
  switch (finding) {
    case TxtFinding::repeated_rua:
      return "repeated_rua";
    case TxtFinding::space_before_delimiter:
      return "space_before_delimiter";
    case TxtFinding::empty_field:
      return "empty_field";
    case TxtFinding::trailing_whitespace:
      return "trailing_whitespace";
    case TxtFinding::missing_rua:
      return "missing_rua";
    case TxtFinding::empty_uri:
      return "empty_uri";
    case TxtFinding::unsupported_scheme:
      return "unsupported_scheme";
    case TxtFinding::invalid_mailto:
      return "invalid_mailto";
    case TxtFinding::invalid_https:
      return "invalid_https";
    case TxtFinding::malformed_field:
      return "malformed_field";
  }
  return "unknown";
}

Severity severity(TxtFinding finding) {
  switch (finding) {
    case TxtFinding::repeated_rua:
      return Severity::notice;
    case TxtFinding::space_before_delimiter:
    case TxtFinding::empty_field:
    case TxtFinding::trailing_whitespace:
      return Severity::warning;
    case TxtFinding::missing_rua:
    case TxtFinding::empty_uri:
    case TxtFinding::unsupported_scheme:
    case TxtFinding::invalid_mailto:
    case TxtFinding::invalid_https:
    case TxtFinding::malformed_field:
      return Severity::invalid;
  }
  return Severity::invalid;
}

void throw_exception_from_error(const TxtFailure& failure, const boost::source_location& location) {
  boost::throw_exception(
      boost::system::system_error(make_error_code(failure.error), failure.reason), location);
}

bool is_tlsrpt_record(std::string_view record) noexcept {
  return mta_sts::begins_with_version(record, version);
}

boost::system::result<TxtRecord, TxtFailure> parse_tlsrpt_record(std::string_view record) {
  if (!is_tlsrpt_record(record)) {
    return TxtFailure{.error = TxtError::absent,
                      .finding = std::nullopt,
                      .reason = "the record does not begin with v=TLSRPTv1",
                      .records = {}};
  }
  const mta_sts::FieldList list = mta_sts::split_fields(record.substr(version.size()));
  TxtRecord parsed{.raw = std::string(record), .rua = {}, .extensions = {}, .findings = {}};
  if (list.space_before_first_delimiter) {
    note(parsed.findings, TxtFinding::space_before_delimiter);
  }
  if (list.empty_field) {
    note(parsed.findings, TxtFinding::empty_field);
  }
  if (list.trailing_whitespace) {
    note(parsed.findings, TxtFinding::trailing_whitespace);
  }
  bool has_rua = false;
  for (const std::string_view field : list.fields) {
    const std::size_t equals = field.find('=');
    if (equals == std::string_view::npos) {
      return syntax(record, TxtFinding::malformed_field,
                    "the field " + quoted(field) + " is not name=value");
    }
    const std::string_view name = field.substr(0, equals);
    std::string_view value = field.substr(equals + 1);
    if (name == "rua") {
      if (has_rua) {
        note(parsed.findings, TxtFinding::repeated_rua);
      }
      has_rua = true;
      while (true) {
        const std::size_t comma = value.find(',');
        const std::string_view uri = mta_sts::trim_wsp(value.substr(0, comma));
        if (auto problem = check_uri(uri)) {
          return syntax(record, problem->finding, std::move(problem->reason));
        }
        parsed.rua.emplace_back(uri);
        if (comma == std::string_view::npos) {
          break;
        }
        value.remove_prefix(comma + 1);
      }
      continue;
    }
    if (!mta_sts::is_ext_name(name)) {
      return syntax(record, TxtFinding::malformed_field,
                    "the field " + quoted(field) + " has an invalid name");
    }
    if (!mta_sts::is_ext_value(value)) {
      return syntax(record, TxtFinding::malformed_field,
                    "the field " + quoted(field) + " has an invalid value");
    }
    parsed.extensions.push_back(Extension{.name = std::string(name), .value = std::string(value)});
  }
  if (!has_rua) {
    const auto miscased = std::find_if(
        parsed.extensions.begin(), parsed.extensions.end(),
        [](const Extension& extension) { return equals_ignoring_case(extension.name, "rua"); });
    std::string reason = "the record has no rua field";
    if (miscased != parsed.extensions.end()) {
      reason += " (field names are case-sensitive: " + quoted(miscased->name) + " is not \"rua\")";
    }
    return syntax(record, TxtFinding::missing_rua, std::move(reason));
  }
  return parsed;
}

boost::system::result<TxtRecord, TxtFailure> parse_txt_record(
    std::span<const std::string> records) {
  mta_sts::Selection selection = mta_sts::select_records(records, version);
  if (selection.records.size() == 1) {
    return parse_tlsrpt_record(selection.records.front());
  }
  return TxtFailure{.error = selection.records.empty() ? TxtError::absent : TxtError::multiple,
                    .finding = std::nullopt,
                    .reason = std::move(selection.reason),
                    .records = std::move(selection.records)};
}

}  // namespace mx::probes::tlsrpt
