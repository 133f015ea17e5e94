#include "reports/export.hpp"

#include <openssl/evp.h>

#include <array>
#include <vector>

#include <boost/json.hpp>

#include "list/suggest.hpp"
#include "reports/csv_field.hpp"
#include "reports/export_tables.hpp"
#include "reports/json_string.hpp"

namespace mx::reports {
namespace {

constexpr std::array<std::string_view, 6> kTableNames{"domains", "mx",           "endpoints",
                                                      "checks",  "certificates", "mta-sts"};

void bind_filter(store::Statement& query, std::int64_t run, const ExportFilter& filter) {
  query.bind(1, run).bind(2, filter.status).bind(3, filter.check).bind(4, filter.code);
}

std::string base64(const std::vector<std::uint8_t>& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::string provider(const std::string& host) {
  return list::registrable_domain(host).value_or(host);
}

// Stored JSON (a list of names) embedded in a JSON line, its strings escaped as every other
// string is. What does not parse as JSON (a database edited by hand) is written as a string, so
// that the line stays JSON.
void write_embedded_json(std::ostream& out, const std::string& stored) {
  boost::system::error_code error;
  const auto value = boost::json::parse(stored, error);
  if (error || !value.is_array()) {
    write_json_string(out, stored);
    return;
  }
  out << '[';
  bool first = true;
  for (const auto& item : value.as_array()) {
    out << (first ? "" : ",");
    first = false;
    if (item.is_string()) {
      write_json_string(out, item.as_string());
    } else {
      out << boost::json::serialize(item);
    }
  }
  out << ']';
}

void write_word_list_json(std::ostream& out, std::string_view words) {
  out << '[';
  bool first = true;
  while (!words.empty()) {
    const auto space = words.find(' ');
    const auto word = words.substr(0, space);
    if (!word.empty()) {
      out << (first ? "" : ",");
      first = false;
      write_json_string(out, word);
    }
    words = space == std::string_view::npos ? std::string_view() : words.substr(space + 1);
  }
  out << ']';
}

void write_json_value(std::ostream& out, const store::Statement& row, int index, ColumnKind kind) {
  if (row.column_is_null(index)) {
    out << (kind == ColumnKind::word_list ? "[]" : "null");
    return;
  }
  switch (kind) {
    case ColumnKind::integer:
      out << row.column_int(index);
      return;
    case ColumnKind::boolean:
      out << (row.column_int(index) != 0 ? "true" : "false");
      return;
    case ColumnKind::json:
      write_embedded_json(out, row.column_text(index));
      return;
    case ColumnKind::word_list:
      write_word_list_json(out, row.column_text(index));
      return;
    case ColumnKind::base64:
      write_json_string(out, base64(row.column_blob(index)));
      return;
    case ColumnKind::provider:
      write_json_string(out, provider(row.column_text(index)));
      return;
    case ColumnKind::text:
      write_json_string(out, row.column_text(index));
      return;
  }
}

void write_csv_value(std::ostream& out, const store::Statement& row, int index, ColumnKind kind) {
  if (row.column_is_null(index)) {
    return;
  }
  switch (kind) {
    case ColumnKind::integer:
    case ColumnKind::boolean:
      out << row.column_int(index);
      return;
    case ColumnKind::base64:
      write_csv_field(out, base64(row.column_blob(index)));
      return;
    case ColumnKind::provider:
      write_csv_field(out, provider(row.column_text(index)));
      return;
    case ColumnKind::text:
    case ColumnKind::json:
    case ColumnKind::word_list:
      write_csv_field(out, row.column_text(index));
      return;
  }
}

}  // namespace

std::optional<std::int64_t> latest_run(const store::Database& db) {
  auto query = db.prepare("SELECT max(id) FROM runs");
  if (!query.step() || query.column_is_null(0)) {
    return std::nullopt;
  }
  return query.column_int(0);
}

bool run_exists(const store::Database& db, std::int64_t run) {
  auto query = db.prepare("SELECT 1 FROM runs WHERE id = ?1");
  query.bind(1, run);
  return query.step();
}

std::optional<ExportTable> parse_export_table(std::string_view name) {
  for (std::size_t i = 0; i < kTableNames.size(); ++i) {
    if (kTableNames.at(i) == name) {
      return static_cast<ExportTable>(i);
    }
  }
  return std::nullopt;
}

std::string_view export_table_name(ExportTable table) {
  return kTableNames.at(static_cast<std::size_t>(table));
}

std::size_t export_domain_objects(const store::Database& db, std::int64_t run,
                                  const ExportFilter& filter, std::ostream& out) {
  auto query = db.prepare(domain_objects_sql());
  bind_filter(query, run, filter);
  std::size_t count = 0;
  while (query.step()) {
    out << query.column_text(0) << '\n';
    ++count;
  }
  return count;
}

std::size_t export_table(const store::Database& db, std::int64_t run, ExportTable table,
                         ExportFormat format, const ExportFilter& filter, std::ostream& out) {
  const auto& spec = export_table_spec(table);
  auto query = db.prepare(spec.sql);
  bind_filter(query, run, filter);
  const auto columns = static_cast<int>(spec.columns.size());
  if (format == ExportFormat::csv) {
    for (int i = 0; i < columns; ++i) {
      out << (i == 0 ? "" : ",") << spec.columns.at(static_cast<std::size_t>(i)).name;
    }
    out << "\r\n";
  }
  std::size_t count = 0;
  while (query.step()) {
    for (int i = 0; i < columns; ++i) {
      const auto& column = spec.columns.at(static_cast<std::size_t>(i));
      if (format == ExportFormat::csv) {
        out << (i == 0 ? "" : ",");
        write_csv_value(out, query, i, column.kind);
      } else {
        out << (i == 0 ? "{" : ",");
        write_json_string(out, column.name);
        out << ':';
        write_json_value(out, query, i, column.kind);
      }
    }
    out << (format == ExportFormat::csv ? "\r\n" : "}\n");
    ++count;
  }
  return count;
}

}  // namespace mx::reports
