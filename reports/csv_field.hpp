#pragma once
// Fields of RFC 4180 CSV. A field holding ',', '"', CR or LF, or beginning or ending with a blank
// (which some readers trim), is quoted with its quotes doubled; every other octet is written as
// it is: the exports carry exact data, so nothing is rewritten (a leading '=' included: CSV for
// spreadsheets is out of scope, see docs/schema.md). An empty string is written "" so that it
// differs from NULL, which is written as nothing (PostgreSQL's COPY convention).

#include <ostream>
#include <string_view>

namespace mx::reports {

void write_csv_field(std::ostream& out, std::string_view text);

}  // namespace mx::reports
