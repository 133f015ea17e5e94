#pragma once
// The TXT record that authenticates a change request (`mxscan challenge`): where it is published,
// the value it must hold, whether a record found there holds it, and how a record found there is
// shown. Pure: what a domain's DNS serves reaches the first two questions byte for byte, so they
// have a fuzz target (tests/fuzz/fuzz_challenge_record.cpp).

#include <cstddef>
#include <string>
#include <string_view>

namespace mx::cli {

// The label the record is published under: <prefix><domain>.
inline constexpr std::string_view kChallengeRecordPrefix = "_starttls-policy.";

// The owner name the record is published at.
[[nodiscard]] std::string challenge_record_name(std::string_view domain);
// The value a request's record must hold.
[[nodiscard]] std::string challenge_record_value(std::string_view action, std::string_view token);
// Whether one TXT record (its strings joined) holds `expected`: the record, with blanks (space,
// tab, CR, LF) around it removed, is `expected` exactly (case included).
[[nodiscard]] bool challenge_record_matches(std::string_view record, std::string_view expected);
// A record found at the name, safe to print: at most `limit` bytes of it, bytes other than
// printable ASCII as \xNN and '\' as "\\", and "..." when cut.
[[nodiscard]] std::string printable_record(std::string_view record, std::size_t limit = 200);

}  // namespace mx::cli
