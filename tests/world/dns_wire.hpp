#pragma once
// The test world's own DNS wire format pieces (RFC 1035 §3, §4), written independently of the
// scanner's DNS code so that the test server stays an oracle: text names to labels, a message
// writer without name compression, and a bounds-checked reader.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mx::world {

using Labels = std::vector<std::string>;

inline constexpr std::size_t max_label_length = 63;
inline constexpr std::size_t max_name_wire_length = 255;

// The labels of a text name; a trailing dot is optional and "" or "." is the root (no labels).
// Empty when the name cannot be put on the wire: an empty label, a label over 63 bytes or a
// name over 255 bytes.
[[nodiscard]] std::optional<Labels> split_name(std::string_view text);

// Appends big-endian fields and names (uncompressed) to a growing message.
class WireWriter {
 public:
  void u8(std::uint8_t value);
  void u16(std::uint16_t value);
  void u32(std::uint32_t value);
  void bytes(std::span<const std::uint8_t> data);
  void name(const Labels& labels);
  // A name given as text; it must satisfy split_name (std::logic_error otherwise).
  void name(std::string_view text);
  // Overwrites a 16-bit field written earlier, e.g. an RDLENGTH once the RDATA is known.
  void patch_u16(std::size_t offset, std::uint16_t value);

  [[nodiscard]] std::size_t size() const { return out_.size(); }
  [[nodiscard]] std::vector<std::uint8_t> take() { return std::move(out_); }

 private:
  std::vector<std::uint8_t> out_;
};

// Reads fields from a message; every read fails (returns empty) instead of running past the end.
class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> message) : message_(message) {}

  [[nodiscard]] std::optional<std::uint8_t> u8();
  [[nodiscard]] std::optional<std::uint16_t> u16();
  [[nodiscard]] std::optional<std::uint32_t> u32();
  // A possibly compressed name; each pointer must point before the previous one, so no loop forms.
  [[nodiscard]] std::optional<Labels> name();
  [[nodiscard]] bool skip(std::size_t count);

  [[nodiscard]] std::size_t offset() const { return offset_; }
  [[nodiscard]] bool at_end() const { return offset_ == message_.size(); }

 private:
  std::span<const std::uint8_t> message_;
  std::size_t offset_ = 0;
};

// A name as text for zone lookups: labels joined by dots, a dot or backslash inside a label
// escaped with a backslash so that such a label cannot match a zone name by accident.
[[nodiscard]] std::string name_text(const Labels& labels);

}  // namespace mx::world
