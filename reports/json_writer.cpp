#include "reports/json_writer.hpp"

#include <sstream>

#include <boost/json.hpp>

#include "reports/json_string.hpp"

namespace mx::reports {

void write_json(std::ostream& out, const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::string:
      write_json_string(out, value.get_string());
      return;
    case boost::json::kind::array: {
      out << '[';
      const char* separator = "";
      for (const auto& element : value.get_array()) {
        out << separator;
        write_json(out, element);
        separator = ",";
      }
      out << ']';
      return;
    }
    case boost::json::kind::object: {
      out << '{';
      const char* separator = "";
      for (const auto& member : value.get_object()) {
        out << separator;
        write_json_string(out, member.key());
        out << ':';
        write_json(out, member.value());
        separator = ",";
      }
      out << '}';
      return;
    }
    default:
      // Numbers, booleans and null hold no text.
      out << boost::json::serialize(value);
  }
}

std::string json_text(const boost::json::value& value) {
  std::ostringstream out;
  write_json(out, value);
  return std::move(out).str();
}

}  // namespace mx::reports
