#pragma once
// The TLSRPT TXT record at _smtp._tls.<domain> (RFC 8460 §3), chosen and parsed from the records
// of a TXT answer. Pure: the resolver has already joined each record's character-strings.
//
//   tlsrpt-record    = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
//   field-delim      = *WSP ";" *WSP
//   tlsrpt-field     = tlsrpt-rua / tlsrpt-extension     ; tlsrpt-rua is required
//   tlsrpt-version   = %s"v=TLSRPTv1"
//   tlsrpt-rua       = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
//   tlsrpt-uri       = URI                               ; RFC 3986
//   (tlsrpt-extension: the MTA-STS extension grammar, see mta_sts/txt_fields.hpp)
//
// Selection and the delimiter rules are those of the MTA-STS record (mta_sts/txt_record.hpp):
// records not beginning with the version are discarded, exactly one must remain, and
// "v=TLSRPTv1 ;" and ";;" are accepted with a warning. Each URI is checked minimally: the scheme
// (case-insensitive) is mailto or https, a mailto names a local@domain address, an https URI has a
// host. Several rua fields are grammatical: their URIs are all used, in order.
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

namespace mx::probes::tlsrpt {

using mta_sts::Extension;

// Why a TXT answer yields no record. to_string() gives the check code of CONTRACT.md's
// `tlsrpt.record`.
enum class TxtError : std::uint8_t {
  absent = 1,  // no record begins with v=TLSRPTv1
  multiple,    // more than one does
  syntax,      // exactly one does, and it breaks the grammar
};

[[nodiscard]] std::string_view to_string(TxtError error);
[[nodiscard]] const boost::system::error_category& txt_category() noexcept;
[[nodiscard]] boost::system::error_code make_error_code(TxtError error) noexcept;

// What the parser saw in the one record. to_string() gives the enumerator's name.
enum class TxtFinding : std::uint8_t {
  // Severity::notice

  repeated_rua,  // more than one rua field; every URI is used

  // Severity::warning: the record is used.

  space_before_delimiter,  // "v=TLSRPTv1 ;": the discard rule quotes "v=TLSRPTv1;"
  empty_field,             // ";;": an empty field, or a second trailing delimiter
  trailing_whitespace,     // WSP after the last field with no delimiter after it

  // Severity::invalid: the record is `syntax`.

  missing_rua,         // no field named "rua"
  empty_uri,           // "rua=", or an empty item in its comma-separated list
  unsupported_scheme,  // a URI whose scheme is not mailto or https, or that has none
  invalid_mailto,      // a mailto URI without a local@domain address
  invalid_https,       // an https URI without a host, or with octets a URI cannot hold
  malformed_field,     // a field that is not name=value with a valid name and value
};

[[nodiscard]] std::string_view to_string(TxtFinding finding);
[[nodiscard]] Severity severity(TxtFinding finding);

struct TxtRecord {
  std::string raw;                    // the record as published
  std::vector<std::string> rua;       // every URI of every rua field, in order, as written
  std::vector<Extension> extensions;  // in order, as written
  std::vector<TxtFinding> findings;   // tolerated findings, each once, in order of occurrence

  bool operator==(const TxtRecord&) const = default;
};

struct TxtFailure {
  TxtError error = TxtError::absent;
  std::optional<TxtFinding> finding;  // for syntax: the first invalid finding
  std::string reason;                 // for humans; quotes peer text only through quoted()
  std::vector<std::string> records;   // those that begin with v=TLSRPTv1: none, several or the one

  bool operator==(const TxtFailure&) const = default;
};

// Lets result<TxtRecord, TxtFailure>::value() throw boost::system::system_error.
[[noreturn]] void throw_exception_from_error(const TxtFailure& failure,
                                             const boost::source_location& location);

// Whether `record` takes part in the selection: it begins with v=TLSRPTv1, then *WSP and ";" or
// nothing.
[[nodiscard]] bool is_tlsrpt_record(std::string_view record) noexcept;

// `records`: the TXT answer's records at _smtp._tls.<domain>, each one joined, none omitted.
[[nodiscard]] boost::system::result<TxtRecord, TxtFailure> parse_txt_record(
    std::span<const std::string> records);

// One record that is_tlsrpt_record() accepts; anything else fails as absent.
[[nodiscard]] boost::system::result<TxtRecord, TxtFailure> parse_tlsrpt_record(
    std::string_view record);

}  // namespace mx::probes::tlsrpt

template <>
struct boost::system::is_error_code_enum<mx::probes::tlsrpt::TxtError> : std::true_type {};
