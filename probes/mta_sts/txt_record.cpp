#include "probes/mta_sts/txt_record.hpp"

#include <algorithm>
#include <utility>

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

namespace mx::probes::mta_sts {

namespace {

constexpr std::string_view version = "v=STSv1";

// Boost makes error_category's destructor protected and non-virtual on purpose (categories are
// never deleted through a base pointer); GCC still flags every derived category.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class TxtCategory final : public boost::system::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "mx.mta_sts_txt"; }

  [[nodiscard]] std::string message(int value) const override {
    switch (static_cast<TxtError>(value)) {
      case TxtError::absent:
        return "no MTA-STS TXT record";
      case TxtError::multiple:
        return "more than one MTA-STS TXT record";
      case TxtError::syntax:
        return "the MTA-STS TXT record is syntactically invalid";
    }
    return "unknown MTA-STS TXT error";
  }
};
#pragma GCC diagnostic pop

bool is_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_id(std::string_view value) {
  return !value.empty() && value.size() <= 32 && std::all_of(value.begin(), value.end(), is_alnum);
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
    case TxtFinding::space_before_delimiter:
      return "space_before_delimiter";
    case TxtFinding::empty_field:
      return "empty_field";
    case TxtFinding::duplicate_id:
      return "duplicate_id";
    case TxtFinding::trailing_whitespace:
      return "trailing_whitespace";
    case TxtFinding::missing_id:
      return "missing_id";
    case TxtFinding::invalid_id:
      return "invalid_id";
    case TxtFinding::malformed_field:
      return "malformed_field";
  }
  return "unknown";
}

Severity severity(TxtFinding finding) {
  switch (finding) {
    case TxtFinding::space_before_delimiter:
    case TxtFinding::empty_field:
    case TxtFinding::duplicate_id:
    case TxtFinding::trailing_whitespace:
      return Severity::warning;
    case TxtFinding::missing_id:
    case TxtFinding::invalid_id:
    case TxtFinding::malformed_field:
      return Severity::invalid;
  }
  return Severity::invalid;
}

void throw_exception_from_error(const TxtFailure& failure, const boost::source_location& location) {
  boost::throw_exception(
      boost::system::system_error(make_error_code(failure.error), failure.reason), location);
}

bool is_sts_record(std::string_view record) noexcept {
  return begins_with_version(record, version);
}

boost::system::result<TxtRecord, TxtFailure> parse_sts_record(std::string_view record) {
  if (!is_sts_record(record)) {
    return TxtFailure{.error = TxtError::absent,
                      .finding = std::nullopt,
                      .reason = "the record does not begin with v=STSv1",
                      .records = {}};
  }
  const FieldList list = split_fields(record.substr(version.size()));
  TxtRecord parsed{.raw = std::string(record), .id = {}, .extensions = {}, .findings = {}};
  if (list.space_before_first_delimiter) {
    note(parsed.findings, TxtFinding::space_before_delimiter);
  }
  if (list.empty_field) {
    note(parsed.findings, TxtFinding::empty_field);
  }
  if (list.trailing_whitespace) {
    note(parsed.findings, TxtFinding::trailing_whitespace);
  }
  bool has_id = false;
  for (const std::string_view field : list.fields) {
    const std::size_t equals = field.find('=');
    if (equals == std::string_view::npos) {
      return syntax(record, TxtFinding::malformed_field,
                    "the field " + quoted(field) + " is not name=value");
    }
    const std::string_view name = field.substr(0, equals);
    const std::string_view value = field.substr(equals + 1);
    if (name == "id") {
      if (!is_id(value)) {
        return syntax(record, TxtFinding::invalid_id,
                      "the id " + quoted(value) + " is not 1 to 32 letters or digits");
      }
      if (has_id) {
        note(parsed.findings, TxtFinding::duplicate_id);
      } else {
        parsed.id = std::string(value);
        has_id = true;
      }
      continue;
    }
    if (!is_ext_name(name)) {
      return syntax(record, TxtFinding::malformed_field,
                    "the field " + quoted(field) + " has an invalid name");
    }
    if (!is_ext_value(value)) {
      return syntax(record, TxtFinding::malformed_field,
                    "the field " + quoted(field) + " has an invalid value");
    }
    parsed.extensions.push_back(Extension{.name = std::string(name), .value = std::string(value)});
  }
  if (!has_id) {
    const auto miscased = std::find_if(
        parsed.extensions.begin(), parsed.extensions.end(),
        [](const Extension& extension) { return equals_ignoring_case(extension.name, "id"); });
    std::string reason = "the record has no id field";
    if (miscased != parsed.extensions.end()) {
      reason += " (field names are case-sensitive: " + quoted(miscased->name) + " is not \"id\")";
    }
    return syntax(record, TxtFinding::missing_id, std::move(reason));
  }
  return parsed;
}

boost::system::result<TxtRecord, TxtFailure> parse_txt_record(
    std::span<const std::string> records) {
  Selection selection = select_records(records, version);
  if (selection.records.size() == 1) {
    return parse_sts_record(selection.records.front());
  }
  return TxtFailure{.error = selection.records.empty() ? TxtError::absent : TxtError::multiple,
                    .finding = std::nullopt,
                    .reason = std::move(selection.reason),
                    .records = std::move(selection.records)};
}

}  // namespace mx::probes::mta_sts
