#include "probes/mta_sts/policy.hpp"

#include <algorithm>
#include <utility>

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

namespace mx::probes::mta_sts {

namespace {

// Boost makes error_category's destructor protected and non-virtual on purpose (categories are
// never deleted through a base pointer); GCC still flags every derived category.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class PolicyCategory final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "mx.mta_sts_policy"; }

  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<PolicyError>(value)) {
      case PolicyError::syntax:
        return "the MTA-STS policy is syntactically invalid";
      case PolicyError::too_large:
        return "the MTA-STS policy is too large";
    }
    return "unknown MTA-STS policy error";
  }
};
#pragma GCC diagnostic pop

constexpr std::string_view byte_order_mark = "\xEF\xBB\xBF";

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Let-dig [Ldh-str] (RFC 5321 §4.1.2), at most 63 octets (RFC 1035 §2.3.4).
bool is_label(std::string_view label) {
  return !label.empty() && label.size() <= 63 && is_alnum(label.front()) &&
         is_alnum(label.back()) &&
         std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool is_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) {
    return false;
  }
  while (true) {
    const std::size_t dot = domain.find('.');
    if (!is_label(domain.substr(0, dot))) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    domain.remove_prefix(dot + 1);
  }
}

// One parse: the policy being assembled and which required fields were seen.
class PolicyParser {
 public:
  std::optional<PolicyFailure> line(std::string_view text, std::size_t number);
  std::optional<PolicyFailure> finish();
  Policy take() { return std::move(policy_); }
  void note(PolicyFinding finding) {
    if (std::find(policy_.findings.begin(), policy_.findings.end(), finding) ==
        policy_.findings.end()) {
      policy_.findings.push_back(finding);
    }
  }

 private:
  std::optional<PolicyFailure> field(std::string_view name, std::string_view value,
                                     std::size_t number);
  std::optional<PolicyFailure> version(std::string_view value, std::size_t number);
  std::optional<PolicyFailure> mode(std::string_view value, std::size_t number);
  std::optional<PolicyFailure> max_age(std::string_view value, std::size_t number);
  void mx(std::string_view value);

  Policy policy_;
  bool has_version_ = false;
  bool has_mode_ = false;
  bool has_max_age_ = false;
};

PolicyFailure invalid(PolicyFinding finding, std::string reason) {
  return PolicyFailure{
      .error = PolicyError::syntax, .finding = finding, .reason = std::move(reason)};
}

std::string at_line(std::size_t number) {
  return "line " + std::to_string(number) + ": ";
}

std::optional<PolicyFailure> PolicyParser::line(std::string_view text, std::size_t number) {
  if (trim_wsp(text).empty()) {
    note(PolicyFinding::blank_line);
    return std::nullopt;
  }
  if (is_wsp(text.front())) {
    note(PolicyFinding::leading_whitespace);
    text = trim_wsp(text);
  }
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return invalid(PolicyFinding::malformed_line,
                   at_line(number) + quoted(text) + " is not a name: value field");
  }
  const std::string_view name = text.substr(0, colon);
  if (!is_ext_name(name)) {
    return invalid(PolicyFinding::malformed_line,
                   at_line(number) + quoted(name) + " is not a field name");
  }
  return field(name, trim_wsp(text.substr(colon + 1)), number);
}

std::optional<PolicyFailure> PolicyParser::field(std::string_view name, std::string_view value,
                                                 std::size_t number) {
  if (name == "version") {
    return version(value, number);
  }
  if (name == "mode") {
    return mode(value, number);
  }
  if (name == "max_age") {
    return max_age(value, number);
  }
  if (name == "mx") {
    mx(value);
    return std::nullopt;
  }
  note(PolicyFinding::unknown_field);
  policy_.extensions.push_back(Extension{.name = std::string(name), .value = std::string(value)});
  return std::nullopt;
}

std::optional<PolicyFailure> PolicyParser::version(std::string_view value, std::size_t number) {
  if (has_version_) {
    note(PolicyFinding::repeated_field);
    return std::nullopt;
  }
  if (value != "STSv1") {
    return invalid(PolicyFinding::invalid_version,
                   at_line(number) + "the version " + quoted(value) + " is not STSv1");
  }
  has_version_ = true;
  policy_.version = std::string(value);
  return std::nullopt;
}

std::optional<PolicyFailure> PolicyParser::mode(std::string_view value, std::size_t number) {
  if (has_mode_) {
    note(PolicyFinding::repeated_field);
    return std::nullopt;
  }
  if (value == "enforce") {
    policy_.mode = Mode::enforce;
  } else if (value == "testing") {
    policy_.mode = Mode::testing;
  } else if (value == "none") {
    policy_.mode = Mode::none;
  } else {
    return invalid(PolicyFinding::invalid_mode, at_line(number) + "the mode " + quoted(value) +
                                                    " is not enforce, testing or none");
  }
  has_mode_ = true;
  return std::nullopt;
}

std::optional<PolicyFailure> PolicyParser::max_age(std::string_view value, std::size_t number) {
  if (has_max_age_) {
    note(PolicyFinding::repeated_field);
    return std::nullopt;
  }
  if (value.empty() || value.size() > 10 || !std::all_of(value.begin(), value.end(), is_digit)) {
    return invalid(PolicyFinding::invalid_max_age,
                   at_line(number) + "max_age " + quoted(value) + " is not 1 to 10 digits");
  }
  std::uint64_t seconds = 0;
  for (const char digit : value) {
    seconds = seconds * 10 + static_cast<std::uint64_t>(digit - '0');
  }
  if (seconds > max_age_cap) {
    return invalid(PolicyFinding::max_age_above_cap, at_line(number) + "max_age " +
                                                         std::to_string(seconds) + " exceeds " +
                                                         std::to_string(max_age_cap) + " seconds");
  }
  has_max_age_ = true;
  policy_.max_age = static_cast<std::uint32_t>(seconds);
  return std::nullopt;
}

void PolicyParser::mx(std::string_view value) {
  if (is_mx_pattern(value)) {
    policy_.mx.emplace_back(value);
  } else if (value.size() > 1 && value.back() == '.' &&
             is_mx_pattern(value.substr(0, value.size() - 1))) {
    note(PolicyFinding::mx_trailing_dot);
    policy_.mx.emplace_back(value);
  } else {
    note(PolicyFinding::invalid_mx);
    policy_.invalid_mx.emplace_back(value);
  }
}

std::optional<PolicyFailure> PolicyParser::finish() {
  if (!has_version_) {
    return invalid(PolicyFinding::missing_version, "the policy has no version field");
  }
  if (!has_mode_) {
    return invalid(PolicyFinding::missing_mode, "the policy has no mode field");
  }
  if (!has_max_age_) {
    return invalid(PolicyFinding::missing_max_age, "the policy has no max_age field");
  }
  if (policy_.mode != Mode::none && policy_.mx.empty()) {
    return invalid(PolicyFinding::missing_mx,
                   policy_.invalid_mx.empty()
                       ? "the policy has no mx field, which mode " +
                             std::string(to_string(policy_.mode)) + " requires"
                       : "none of the policy's mx values is a valid pattern, and mode " +
                             std::string(to_string(policy_.mode)) + " requires one");
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::enforce:
      return "enforce";
    case Mode::testing:
      return "testing";
    case Mode::none:
      return "none";
  }
  return "unknown";
}

std::string_view to_string(PolicyError error) {
  switch (error) {
    case PolicyError::syntax:
      return "syntax";
    case PolicyError::too_large:
      return "too-large";
  }
  return "unknown";
}

const boost::system::error_category& policy_category() noexcept {
  static const PolicyCategory category;
  return category;
}

boost::system::error_code make_error_code(PolicyError error) noexcept {
  return {static_cast<int>(error), policy_category()};
}

std::string_view to_string(PolicyFinding finding) {
  switch (finding) {
    case PolicyFinding::unknown_field:
      return "unknown_field";
    case PolicyFinding::mixed_line_endings:
      return "mixed_line_endings";
    case PolicyFinding::blank_line:
      return "blank_line";
    case PolicyFinding::leading_whitespace:
      return "leading_whitespace";
    case PolicyFinding::repeated_field:
      return "repeated_field";
    case PolicyFinding::invalid_mx:
      return "invalid_mx";
    case PolicyFinding::mx_trailing_dot:
      return "mx_trailing_dot";
    case PolicyFinding::too_large:
      return "too_large";
    case PolicyFinding::byte_order_mark:
      return "byte_order_mark";
    case PolicyFinding::malformed_line:
      return "malformed_line";
    case PolicyFinding::missing_version:
      return "missing_version";
    case PolicyFinding::invalid_version:
      return "invalid_version";
    case PolicyFinding::missing_mode:
      return "missing_mode";
    case PolicyFinding::invalid_mode:
      return "invalid_mode";
    case PolicyFinding::missing_max_age:
      return "missing_max_age";
    case PolicyFinding::invalid_max_age:
      return "invalid_max_age";
    case PolicyFinding::max_age_above_cap:
      return "max_age_above_cap";
    case PolicyFinding::missing_mx:
      return "missing_mx";
  }
  return "unknown";
}

Severity severity(PolicyFinding finding) {
  switch (finding) {
    case PolicyFinding::unknown_field:
    case PolicyFinding::mixed_line_endings:
      return Severity::notice;
    case PolicyFinding::blank_line:
    case PolicyFinding::leading_whitespace:
    case PolicyFinding::repeated_field:
    case PolicyFinding::invalid_mx:
    case PolicyFinding::mx_trailing_dot:
      return Severity::warning;
    case PolicyFinding::too_large:
    case PolicyFinding::byte_order_mark:
    case PolicyFinding::malformed_line:
    case PolicyFinding::missing_version:
    case PolicyFinding::invalid_version:
    case PolicyFinding::missing_mode:
    case PolicyFinding::invalid_mode:
    case PolicyFinding::missing_max_age:
    case PolicyFinding::invalid_max_age:
    case PolicyFinding::max_age_above_cap:
    case PolicyFinding::missing_mx:
      return Severity::invalid;
  }
  return Severity::invalid;
}

void throw_exception_from_error(const PolicyFailure& failure,
                                const boost::source_location& location) {
  boost::throw_exception(
      boost::system::system_error(make_error_code(failure.error), failure.reason), location);
}

bool is_mx_pattern(std::string_view pattern) noexcept {
  if (pattern.starts_with("*.")) {
    pattern.remove_prefix(2);
  }
  return is_domain(pattern);
}

boost::system::result<Policy, PolicyFailure> parse_policy(std::string_view body) {
  if (body.size() > max_policy_octets) {
    return PolicyFailure{.error = PolicyError::too_large,
                         .finding = PolicyFinding::too_large,
                         .reason = "the policy has " + std::to_string(body.size()) +
                                   " octets, more than " + std::to_string(max_policy_octets)};
  }
  if (body.starts_with(byte_order_mark)) {
    return invalid(PolicyFinding::byte_order_mark,
                   "the policy starts with a UTF-8 byte order mark");
  }
  PolicyParser parser;
  bool crlf = false;
  bool lf = false;
  std::size_t number = 0;
  while (!body.empty()) {
    const std::size_t end = body.find('\n');
    std::string_view text = body.substr(0, end);
    body.remove_prefix(end == std::string_view::npos ? body.size() : end + 1);
    if (end != std::string_view::npos) {
      if (text.ends_with('\r')) {
        text.remove_suffix(1);
        crlf = true;
      } else {
        lf = true;
      }
    }
    if (auto failure = parser.line(text, ++number)) {
      return std::move(*failure);
    }
  }
  if (auto failure = parser.finish()) {
    return std::move(*failure);
  }
  if (crlf && lf) {
    parser.note(PolicyFinding::mixed_line_endings);
  }
  return parser.take();
}

}  // namespace mx::probes::mta_sts
