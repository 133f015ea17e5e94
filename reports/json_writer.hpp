#pragma once
// A JSON value written with every string through reports/json_string.hpp, so that the text is
// safe inside an HTML <script type="application/json"> element as it is in a file: no '<', '>'
// or '&' appears raw, U+2028 and U+2029 are escaped, and octets that are not UTF-8 become U+FFFD
// (boost::json::serialize writes strings as they are). Compact, keys in insertion order.

#include <ostream>
#include <string>

#include <boost/json/value.hpp>

namespace mx::reports {

void write_json(std::ostream& out, const boost::json::value& value);
[[nodiscard]] std::string json_text(const boost::json::value& value);

}  // namespace mx::reports
