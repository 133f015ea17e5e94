#pragma once
// Whether this test binary was built with AddressSanitizer (GCC defines __SANITIZE_ADDRESS__,
// clang answers __has_feature): memory bounds and input sizes differ under it.

#include <cstdlib>
#include <string>
#include <vector>

namespace mx::test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

// The environment for a child whose peak RSS a test compares: ASan holds freed blocks in a
// quarantine of up to 256 MiB by default, so RSS would grow with what the child reads or writes,
// whatever it keeps; a small quarantine measures the program. Empty without ASan.
inline std::vector<std::string> memory_measuring_environment() {
  if (!kAddressSanitizer) {
    return {};
  }
  const char* inherited = std::getenv("ASAN_OPTIONS");
  return {"ASAN_OPTIONS=" + std::string(inherited != nullptr ? inherited : "") +
          (inherited != nullptr ? ":" : "") + "quarantine_size_mb=1"};
}

}  // namespace mx::test
