#include "reports/csv_field.hpp"

namespace mx::reports {

void write_csv_field(std::ostream& out, std::string_view text) {
  const bool quote = text.empty() || text.find_first_of(",\"\r\n") != std::string_view::npos ||
                     text.front() == ' ' || text.front() == '\t' || text.back() == ' ' ||
                     text.back() == '\t';
  if (!quote) {
    out << text;
    return;
  }
  out << '"';
  for (std::size_t start = 0;;) {
    const auto quote_at = text.find('"', start);
    out << text.substr(start, quote_at == std::string_view::npos ? quote_at : quote_at + 1 - start);
    if (quote_at == std::string_view::npos) {
      break;
    }
    out << '"';
    start = quote_at + 1;
  }
  out << '"';
}

}  // namespace mx::reports
