#pragma once
// A strict RFC 4180 reader for checking mxscan's CSV: every record ends with CRLF, a quoted field
// may hold anything ("" for a quote), an unquoted field holds no quote, CR or LF. Each field says
// whether it was quoted, which is how the exports tell an empty string ("") from NULL (nothing).

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mx::test {

struct CsvField {
  std::string text;
  bool quoted = false;
  [[nodiscard]] bool is_null() const { return text.empty() && !quoted; }
};
using CsvRecord = std::vector<CsvField>;

// Throws std::runtime_error at the first violation, naming its offset.
inline std::vector<CsvRecord> parse_csv(std::string_view text) {
  std::vector<CsvRecord> records;
  std::size_t i = 0;
  auto fail = [&](const std::string& what) {
    throw std::runtime_error("CSV: " + what + " at offset " + std::to_string(i));
  };
  while (i < text.size()) {
    CsvRecord record;
    for (;;) {
      CsvField field;
      if (i < text.size() && text[i] == '"') {
        field.quoted = true;
        ++i;
        for (;;) {
          if (i >= text.size()) {
            fail("unterminated quoted field");
          }
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              field.text += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          field.text += text[i++];
        }
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\r') {
          if (text[i] == '"' || text[i] == '\n') {
            fail("quote or bare LF in an unquoted field");
          }
          field.text += text[i++];
        }
      }
      record.push_back(std::move(field));
      if (i < text.size() && text[i] == ',') {
        ++i;
        continue;
      }
      if (text.substr(i, 2) != "\r\n") {
        fail("record not ended by CRLF");
      }
      i += 2;
      break;
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace mx::test
