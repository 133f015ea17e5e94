#pragma once
// SHA-256 of a file's bytes, in lower-case hex: how a rendered configuration names the exact list
// it came from (and how the update channel can tell two lists apart). Pure.

#include <string>
#include <string_view>

namespace mx::publish {

[[nodiscard]] std::string sha256_hex(std::string_view bytes);

}  // namespace mx::publish
