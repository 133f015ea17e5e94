#pragma once
// The field grammar that the MTA-STS TXT record (RFC 8461 §3.1) and the TLSRPT TXT record
// (RFC 8460 §3) share, and that RFC 8461 §3.2 reuses for policy field names. Pure.
//
//   record      = version 1*(field-delim field) [field-delim]
//   field-delim = *WSP ";" *WSP
//   extension   = ext-name "=" ext-value
//   ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
//   ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)    ; no "=", ";", SP or control characters
//
// The version is a case-sensitive literal (%s"v=STSv1", %s"v=TLSRPTv1"). Both RFCs discard records
// that do not begin with "<version>;" although their ABNF allows "<version> ;" (errata 6285).
// mxscan keeps a record whose version token is followed by optional WSP and then ";" or nothing,
// so "v=STSv1 ;" and a bare "v=STSv1" are records (the first with a warning, the second lacking
// its id), while "v=STSv10; ..." or "v=STSv1 is not a policy" are not.
//
// @par Thread Safety
// Distinct objects: Safe. Shared objects: Unsafe.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mx::probes::mta_sts {

// A field the parser does not know, kept as written.
struct Extension {
  std::string name;
  std::string value;

  bool operator==(const Extension&) const = default;
};

[[nodiscard]] constexpr bool is_wsp(char c) noexcept {
  return c == ' ' || c == '\t';
}

[[nodiscard]] std::string_view trim_wsp(std::string_view text) noexcept;

[[nodiscard]] bool is_ext_name(std::string_view name) noexcept;
[[nodiscard]] bool is_ext_value(std::string_view value) noexcept;

// ASCII case-insensitive equality; the locale plays no part.
[[nodiscard]] bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept;

// Whether `record` begins with `version` followed by *WSP and then ";" or the end of the record.
[[nodiscard]] bool begins_with_version(std::string_view record, std::string_view version) noexcept;
// The same with the version compared case-insensitively: not a record, but worth a hint to the
// human who published it.
[[nodiscard]] bool begins_with_version_ignoring_case(std::string_view record,
                                                     std::string_view version) noexcept;

// The records of a TXT answer that take part in the selection (begins_with_version), in order.
// Both RFCs discard the others, and exactly one must remain: `reason` says why not, for humans
// (with a hint when a record begins with the version in another case), and is empty when one
// record was selected.
struct Selection {
  std::vector<std::string> records;
  std::string reason;
};

[[nodiscard]] Selection select_records(std::span<const std::string> records,
                                       std::string_view version);

// The fields of a record after its version token, each without the WSP around it, in order.
// What the grammar does not allow but mxscan accepts is flagged rather than refused; the text of
// each field is checked by the caller.
struct FieldList {
  std::vector<std::string_view> fields;       // views into the record
  bool space_before_first_delimiter = false;  // "v=STSv1 ;"
  bool empty_field = false;          // ";;": an empty field, or more than one trailing delimiter
  bool trailing_whitespace = false;  // WSP after the last field with no delimiter after it
};

// `rest`: the record after its version token, so empty or starting with *WSP ";".
[[nodiscard]] FieldList split_fields(std::string_view rest);

// `text` made safe to quote in a message: at most `max_octets` octets of it (then "..."), in
// double quotes, with every octet outside printable ASCII, and '"' and '\', written as \xNN.
[[nodiscard]] std::string quoted(std::string_view text, std::size_t max_octets = 64);

}  // namespace mx::probes::mta_sts
