#pragma once
// The verdict taxonomy (CONTRACT.md "JSON output"): each check has a status and a code.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mx::judge {

enum class Status : std::uint8_t {
  pass,     // meets the requirement
  warn,     // meets it, with something worth fixing
  fail,     // determined, and does not meet it
  error,    // could not be determined (timeout, SERVFAIL, refused...): never proof of failure
  skipped,  // not run: a check it depends on did not pass
};

[[nodiscard]] std::string_view to_string(Status status);
[[nodiscard]] std::optional<Status> parse_status(std::string_view text);

// fail > error > warn > pass; skipped ranks below everything and never wins over a real result.
[[nodiscard]] int severity(Status status);
[[nodiscard]] Status worse(Status a, Status b);

struct Check {
  std::string check;  // "starttls", "mta-sts.policy", ...
  Status status = Status::skipped;
  std::string code;  // "ok", "not-advertised", ...
  std::string message;
  bool operator==(const Check&) const = default;
};

// The worst status of `checks`; pass when every check was skipped or there are none.
[[nodiscard]] Status worst(const std::vector<Check>& checks);

}  // namespace mx::judge
