#pragma once

namespace mx::cli {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace mx::cli
