#pragma once
// What each table export holds: its SQL over the schema and how each result column is written.
// Private to reports/export.cpp and its tests; the columns are documented in docs/schema.md.

#include <string>
#include <string_view>
#include <vector>

#include "reports/export.hpp"

namespace mx::reports {

enum class ColumnKind {
  text,       // TEXT; NULL as null
  integer,    // INTEGER as a JSON number
  boolean,    // INTEGER 0 or 1: a JSON boolean, 0 or 1 in CSV
  json,       // TEXT holding JSON as stored (a list of names): embedded in JSON Lines
  word_list,  // names joined by spaces (NULL: none): a JSON array, as is in CSV
  base64,     // BLOB, written in base64 (RFC 4648, no line breaks)
  provider,   // TEXT holding an MX host name: written as its provider (registrable domain)
};

struct ExportColumn {
  std::string_view name;
  ColumnKind kind;
};

struct ExportTableSpec {
  // Parameters: ?1 the run, ?2 the status filter, ?3 the check name filter, ?4 its code (each
  // NULL when not filtering). Result columns in the order of `columns`.
  std::string sql;
  std::vector<ExportColumn> columns;
};

[[nodiscard]] const ExportTableSpec& export_table_spec(ExportTable table);

// The domain objects' query, with the same parameters; one column: the stored JSON.
[[nodiscard]] const std::string& domain_objects_sql();

}  // namespace mx::reports
