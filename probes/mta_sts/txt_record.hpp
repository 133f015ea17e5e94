#pragma once
// The MTA-STS TXT record at _mta-sts.<domain> (RFC 8461 §3.1), chosen and parsed from the records
// of a TXT answer. Pure: the resolver has already joined each record's character-strings.
//
//   sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
//   sts-field       = sts-id / sts-extension      ; sts-id is required
//   sts-field-delim = *WSP ";" *WSP
//   sts-version     = %s"v=STSv1"
//   sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
//   (sts-extension: see txt_fields.hpp)
//
// Records that do not begin with the version are discarded (txt_fields.hpp says exactly which);
// exactly one must remain. Where the RFC is ambiguous, mxscan decides as GOTCHAS.md says:
// "v=STSv1 ;" and a doubled ";;" are valid with a warning, a repeated id keeps the first with a
// warning, and a malformed extension field makes the record invalid. Any field named "id" is the
// id, so "id=2019-04-29" is an invalid id rather than an extension. Field names are
// case-sensitive: "ID=1" is an extension, and the record then lacks its id.
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

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include "probes/mta_sts/txt_fields.hpp"
#include "probes/severity.hpp"

namespace mx::probes::mta_sts {

// Why a TXT answer yields no record. to_string() gives the check code of CONTRACT.md's
// `mta-sts.record`.
enum class TxtError : std::uint8_t {
  absent = 1,  // no record begins with v=STSv1
  multiple,    // more than one does
  syntax,      // exactly one does, and it breaks the grammar
};

[[nodiscard]] std::string_view to_string(TxtError error);
[[nodiscard]] const boost::system::error_category& txt_category() noexcept;
[[nodiscard]] boost::system::error_code make_error_code(TxtError error) noexcept;

// What the parser saw in the one record. to_string() gives the enumerator's name.
enum class TxtFinding : std::uint8_t {
  // Severity::warning: the record is used.

  space_before_delimiter,  // "v=STSv1 ;": the discard rule quotes "v=STSv1;" (errata 6285)
  empty_field,             // ";;": an empty field, or a second trailing delimiter
  duplicate_id,            // another id field follows the first, which is the one used
  trailing_whitespace,     // WSP after the last field with no delimiter after it

  // Severity::invalid: the record is `syntax`.

  missing_id,       // no field named "id"
  invalid_id,       // an id that is not 1 to 32 letters or digits
  malformed_field,  // a field that is not name=value with a valid name and value
};

[[nodiscard]] std::string_view to_string(TxtFinding finding);
[[nodiscard]] Severity severity(TxtFinding finding);

struct TxtRecord {
  std::string raw;                    // the record as published
  std::string id;                     // the first id
  std::vector<Extension> extensions;  // in order, as written
  std::vector<TxtFinding> findings;   // tolerated findings, each once, in order of occurrence

  bool operator==(const TxtRecord&) const = default;
};

struct TxtFailure {
  TxtError error = TxtError::absent;
  std::optional<TxtFinding> finding;  // for syntax: the first invalid finding
  std::string reason;                 // for humans; quotes peer text only through quoted()
  std::vector<std::string> records;   // those that begin with v=STSv1: none, several or the one

  bool operator==(const TxtFailure&) const = default;
};

// Lets result<TxtRecord, TxtFailure>::value() throw boost::system::system_error.
[[noreturn]] void throw_exception_from_error(const TxtFailure& failure,
                                             const boost::source_location& location);

// Whether `record` takes part in the selection: it begins with v=STSv1 as txt_fields.hpp says.
[[nodiscard]] bool is_sts_record(std::string_view record) noexcept;

// `records`: the TXT answer's records at _mta-sts.<domain>, each one joined, none omitted.
[[nodiscard]] boost::system::result<TxtRecord, TxtFailure> parse_txt_record(
    std::span<const std::string> records);

// One record that is_sts_record() accepts; anything else fails as absent.
[[nodiscard]] boost::system::result<TxtRecord, TxtFailure> parse_sts_record(
    std::string_view record);

}  // namespace mx::probes::mta_sts

template <>
struct boost::system::is_error_code_enum<mx::probes::mta_sts::TxtError> : std::true_type {};
