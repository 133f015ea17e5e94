#pragma once
// Whether this test binary was built with AddressSanitizer (GCC defines __SANITIZE_ADDRESS__,
// clang answers __has_feature): memory bounds and input sizes differ under it.

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

}  // namespace mx::test
