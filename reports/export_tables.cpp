#include "reports/export_tables.hpp"

#include <fmt/format.h>

namespace mx::reports {
namespace {

// Keeps rows whose `domain_column` is a domain of the run passing the filters. Each IN list is
// built once per query (SQLite's ephemeral index: no per-row scan), and only when its filter is
// set: SQLite skips the IN once the IS NULL side holds.
std::string domain_filter(std::string_view domain_column) {
  return fmt::format(
      "(?2 IS NULL OR {0} IN (SELECT domain FROM domains WHERE run_id = ?1 AND status = ?2)) "
      "AND (?3 IS NULL OR {0} IN (SELECT domain FROM checks WHERE run_id = ?1 AND name = ?3 "
      "AND (?4 IS NULL OR code = ?4)))",
      domain_column);
}

// Keeps endpoints (alias e) that an MX host of a kept domain used.
std::string endpoint_filter() {
  return fmt::format(
      "((?2 IS NULL AND ?3 IS NULL) OR (e.ip, e.host) IN (SELECT a.ip, a.host FROM mx_addresses a "
      "WHERE a.run_id = ?1 AND {}))",
      domain_filter("a.domain"));
}

using enum ColumnKind;

ExportTableSpec domains_spec() {
  return {fmt::format(
              "SELECT d.domain, d.status, "
              "(SELECT group_concat(host, ' ') FROM (SELECT host FROM mx_hosts h "
              "  WHERE h.run_id = d.run_id AND h.domain = d.domain ORDER BY preference, host)), "
              "(SELECT group_concat(item, ' ') FROM (SELECT DISTINCT name || ':' || code AS item "
              "  FROM checks c WHERE c.run_id = d.run_id AND c.domain = d.domain "
              "  AND c.status IN ('fail', 'error') ORDER BY item)), "
              "d.scanned_at, d.attempts "
              "FROM domains d WHERE d.run_id = ?1 AND {} ORDER BY d.domain",
              domain_filter("d.domain")),
          {{"domain", text},
           {"status", text},
           {"mx_hosts", word_list},
           {"failing", word_list},
           {"scanned_at", text},
           {"attempts", integer}}};
}

ExportTableSpec mx_spec() {
  return {fmt::format("SELECT h.domain, h.host, h.preference, h.status, h.host, "
                      "(SELECT group_concat(ip, ' ') FROM (SELECT ip FROM mx_addresses a "
                      "  WHERE a.run_id = h.run_id AND a.domain = h.domain AND a.host = h.host "
                      "  ORDER BY ip)) "
                      "FROM mx_hosts h WHERE h.run_id = ?1 AND {} ORDER BY h.domain, h.host",
                      domain_filter("h.domain")),
          {{"domain", text},
           {"host", text},
           {"preference", integer},
           {"status", text},
           {"provider", provider},
           {"addresses", word_list}}};
}

ExportTableSpec endpoints_spec() {
  return {fmt::format("SELECT e.ip, e.port, e.host, e.stage, e.ending, e.detail, e.banner, "
                      "e.starttls, e.tls_version, e.tls_cipher, e.tls_group, e.cert_sha256, "
                      "e.elapsed_ms FROM endpoints e WHERE e.run_id = ?1 AND {} "
                      "ORDER BY e.ip, e.port, e.host",
                      endpoint_filter()),
          {{"ip", text},
           {"port", integer},
           {"host", text},
           {"stage", text},
           {"ending", text},
           {"detail", text},
           {"banner", text},
           {"starttls", boolean},
           {"tls_version", text},
           {"tls_cipher", text},
           {"tls_group", text},
           {"cert_sha256", text},
           {"elapsed_ms", integer}}};
}

ExportTableSpec checks_spec() {
  // The primary key's order: SQLite walks its index, so a million rows need no sort.
  return {fmt::format("SELECT c.domain, c.subject, c.host, c.ip, c.name, c.status, c.code, "
                      "c.message FROM checks c WHERE c.run_id = ?1 AND {} "
                      "ORDER BY c.domain, c.subject, c.host, c.ip, c.name",
                      domain_filter("c.domain")),
          {{"domain", text},
           {"subject", text},
           {"host", text},
           {"ip", text},
           {"name", text},
           {"status", text},
           {"code", text},
           {"message", text}}};
}

ExportTableSpec certificates_spec() {
  return {fmt::format("SELECT c.sha256, c.subject, c.issuer, c.san, c.not_before, c.not_after, "
                      "c.key_type, c.key_bits, c.signature_algorithm, count(*), c.der "
                      "FROM endpoints e JOIN certificates c ON c.sha256 = e.cert_sha256 "
                      "WHERE e.run_id = ?1 AND {} GROUP BY c.sha256 ORDER BY c.sha256",
                      endpoint_filter()),
          {{"sha256", text},
           {"subject", text},
           {"issuer", text},
           {"san", json},
           {"not_before", text},
           {"not_after", text},
           {"key_type", text},
           {"key_bits", integer},
           {"signature_algorithm", text},
           {"endpoints", integer},
           {"der", base64}}};
}

ExportTableSpec mta_sts_spec() {
  return {fmt::format("SELECT p.domain, p.record_id, p.mode, p.max_age, p.mx, p.body "
                      "FROM mta_sts_policies p WHERE p.run_id = ?1 AND {} ORDER BY p.domain",
                      domain_filter("p.domain")),
          {{"domain", text},
           {"record_id", text},
           {"mode", text},
           {"max_age", integer},
           {"mx", json},
           {"body", text}}};
}

}  // namespace

const ExportTableSpec& export_table_spec(ExportTable table) {
  static const ExportTableSpec domains = domains_spec();
  static const ExportTableSpec mx = mx_spec();
  static const ExportTableSpec endpoints = endpoints_spec();
  static const ExportTableSpec checks = checks_spec();
  static const ExportTableSpec certificates = certificates_spec();
  static const ExportTableSpec mta_sts = mta_sts_spec();
  switch (table) {
    case ExportTable::domains:
      return domains;
    case ExportTable::mx:
      return mx;
    case ExportTable::endpoints:
      return endpoints;
    case ExportTable::checks:
      return checks;
    case ExportTable::certificates:
      return certificates;
    case ExportTable::mta_sts:
      return mta_sts;
  }
  return domains;
}

const std::string& domain_objects_sql() {
  static const std::string sql =
      fmt::format("SELECT d.result FROM domains d WHERE d.run_id = ?1 AND {} ORDER BY d.domain",
                  domain_filter("d.domain"));
  return sql;
}

}  // namespace mx::reports
