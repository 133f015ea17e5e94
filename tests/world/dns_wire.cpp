#include "tests/world/dns_wire.hpp"

#include <stdexcept>

namespace mx::world {

namespace {

// Compression pointers carry the two top bits set; 01 and 10 are reserved (RFC 6891 retired
// the extended label types).
constexpr std::uint8_t label_type_mask = 0xC0;
constexpr std::uint8_t pointer_type = 0xC0;

}  // namespace

std::optional<Labels> split_name(std::string_view text) {
  if (!text.empty() && text.back() == '.') {
    text.remove_suffix(1);
  }
  Labels labels;
  if (text.empty()) {
    return labels;
  }
  std::size_t wire_length = 1;  // the root label
  for (;;) {
    const auto dot = text.find('.');
    const auto label = text.substr(0, dot);
    if (label.empty() || label.size() > max_label_length) {
      return std::nullopt;
    }
    wire_length += 1 + label.size();
    labels.emplace_back(label);
    if (dot == std::string_view::npos) {
      break;
    }
    text.remove_prefix(dot + 1);
  }
  if (wire_length > max_name_wire_length) {
    return std::nullopt;
  }
  return labels;
}

std::string name_text(const Labels& labels) {
  std::string text;
  for (const auto& label : labels) {
    if (!text.empty()) {
      text += '.';
    }
    for (const char c : label) {
      if (c == '.' || c == '\\') {
        text += '\\';
      }
      text += c;
    }
  }
  return text;
}

void WireWriter::u8(std::uint8_t value) {
  out_.push_back(value);
}

void WireWriter::u16(std::uint16_t value) {
  out_.push_back(static_cast<std::uint8_t>(value >> 8));
  out_.push_back(static_cast<std::uint8_t>(value & 0xFF));
}

void WireWriter::u32(std::uint32_t value) {
  u16(static_cast<std::uint16_t>(value >> 16));
  u16(static_cast<std::uint16_t>(value & 0xFFFF));
}

void WireWriter::bytes(std::span<const std::uint8_t> data) {
  out_.insert(out_.end(), data.begin(), data.end());
}

void WireWriter::name(const Labels& labels) {
  for (const auto& label : labels) {
    u8(static_cast<std::uint8_t>(label.size()));
    out_.insert(out_.end(), label.begin(), label.end());
  }
  u8(0);
}

void WireWriter::name(std::string_view text) {
  const auto labels = split_name(text);
  if (!labels) {
    throw std::logic_error("dns_wire: name not encodable: " + std::string(text));
  }
  name(*labels);
}

void WireWriter::patch_u16(std::size_t offset, std::uint16_t value) {
  out_.at(offset) = static_cast<std::uint8_t>(value >> 8);
  out_.at(offset + 1) = static_cast<std::uint8_t>(value & 0xFF);
}

std::optional<std::uint8_t> WireReader::u8() {
  if (message_.size() - offset_ < 1) {
    return std::nullopt;
  }
  return message_[offset_++];
}

std::optional<std::uint16_t> WireReader::u16() {
  if (message_.size() - offset_ < 2) {
    return std::nullopt;
  }
  const auto value = static_cast<std::uint16_t>((message_[offset_] << 8) | message_[offset_ + 1]);
  offset_ += 2;
  return value;
}

std::optional<std::uint32_t> WireReader::u32() {
  const auto high = u16();
  if (!high) {
    return std::nullopt;
  }
  const auto low = u16();
  if (!low) {
    return std::nullopt;
  }
  return (std::uint32_t{*high} << 16) | *low;
}

std::optional<Labels> WireReader::name() {
  Labels labels;
  std::size_t wire_length = 1;
  std::size_t position = offset_;
  // Each pointer must point before the previous one (or before the name), so jumps terminate.
  std::size_t jump_bound = offset_;
  std::optional<std::size_t> resume;  // where reading continues after the first pointer
  for (;;) {
    if (position >= message_.size()) {
      return std::nullopt;
    }
    const std::uint8_t length = message_[position];
    if ((length & label_type_mask) == pointer_type) {
      if (position + 1 >= message_.size()) {
        return std::nullopt;
      }
      const std::size_t target = ((length & ~label_type_mask) << 8) | message_[position + 1];
      if (target >= jump_bound) {
        return std::nullopt;
      }
      if (!resume) {
        resume = position + 2;
      }
      jump_bound = target;
      position = target;
      continue;
    }
    if ((length & label_type_mask) != 0) {
      return std::nullopt;
    }
    if (length == 0) {
      offset_ = resume.value_or(position + 1);
      return labels;
    }
    wire_length += 1 + length;
    if (wire_length > max_name_wire_length || message_.size() - position - 1 < length) {
      return std::nullopt;
    }
    const auto* first = reinterpret_cast<const char*>(message_.data() + position + 1);
    labels.emplace_back(first, length);
    position += 1 + length;
  }
}

bool WireReader::skip(std::size_t count) {
  if (message_.size() - offset_ < count) {
    return false;
  }
  offset_ += count;
  return true;
}

}  // namespace mx::world
