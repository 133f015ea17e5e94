#include "publish/digest.hpp"

#include <array>
#include <stdexcept>

#include <openssl/evp.h>

namespace mx::publish {

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string text;
  text.reserve(std::size_t{length} * 2);
  for (unsigned int i = 0; i < length; ++i) {
    text += hex[digest[i] >> 4U];
    text += hex[digest[i] & 0x0fU];
  }
  return text;
}

}  // namespace mx::publish
