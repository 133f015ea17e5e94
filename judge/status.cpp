#include "judge/status.hpp"

#include <array>

namespace mx::judge {
namespace {

constexpr std::array<std::string_view, 5> kNames{"pass", "warn", "fail", "error", "skipped"};

}  // namespace

std::string_view to_string(Status status) {
  return kNames.at(static_cast<std::size_t>(status));
}

std::optional<Status> parse_status(std::string_view text) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == text) {
      return static_cast<Status>(i);
    }
  }
  return std::nullopt;
}

int severity(Status status) {
  switch (status) {
    case Status::skipped:
      return 0;
    case Status::pass:
      return 1;
    case Status::warn:
      return 2;
    case Status::error:
      return 3;
    case Status::fail:
      return 4;
  }
  return 0;
}

Status worse(Status a, Status b) {
  return severity(b) > severity(a) ? b : a;
}

Status worst(const std::vector<Check>& checks) {
  Status out = Status::pass;
  for (const auto& check : checks) {
    if (check.status != Status::skipped) {
      out = worse(out, check.status);
    }
  }
  return out;
}

}  // namespace mx::judge
