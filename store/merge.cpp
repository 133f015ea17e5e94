#include "store/merge.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include "store/schema.hpp"

namespace mx::store {
namespace {

struct SourceRun {
  std::int64_t id = 0;
  std::string kind;
  std::string options;
  std::string state;
};

SourceRun newest_run(const Database& db, const std::filesystem::path& path) {
  auto query = db.prepare("SELECT id, kind, options, state FROM runs ORDER BY id DESC LIMIT 1");
  if (!query.step()) {
    throw StoreError(fmt::format("{}: holds no run to merge", path.string()), SQLITE_NOTFOUND);
  }
  return {query.column_int(0), query.column_text(1), query.column_text(2), query.column_text(3)};
}

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += fmt::format("{:02x}", digest[i]);
  }
  return hex;
}

// Copies one attached source run's rows into run `to`.
void copy_run(Database& out, std::int64_t from, std::int64_t to) {
  const auto copy = [&](const std::string& sql) {
    auto statement = out.prepare(sql);
    statement.bind(1, to).bind(2, from);
    statement.run();
  };
  copy(
      "INSERT INTO run_inputs (run_id, position, domain) "
      "SELECT ?1, position, domain FROM src.run_inputs WHERE run_id = ?2");
  copy(
      "INSERT INTO domains (run_id, domain, status, scanned_at, attempts, result) "
      "SELECT ?1, domain, status, scanned_at, attempts, result FROM src.domains WHERE run_id = ?2");
  copy(
      "INSERT INTO mx_hosts (run_id, domain, host, preference, status) "
      "SELECT ?1, domain, host, preference, status FROM src.mx_hosts WHERE run_id = ?2");
  copy(
      "INSERT INTO mx_addresses (run_id, domain, host, ip, status) "
      "SELECT ?1, domain, host, ip, status FROM src.mx_addresses WHERE run_id = ?2");
  copy(
      "INSERT INTO checks (run_id, domain, subject, host, ip, name, status, code, message) "
      "SELECT ?1, domain, subject, host, ip, name, status, code, message FROM src.checks "
      "WHERE run_id = ?2");
  out.exec("INSERT OR IGNORE INTO certificates SELECT * FROM src.certificates");
  copy(
      "INSERT OR IGNORE INTO endpoints (run_id, ip, port, host, stage, ending, detail, banner, "
      "starttls, tls_version, tls_cipher, tls_group, cert_sha256, elapsed_ms) "
      "SELECT ?1, ip, port, host, stage, ending, detail, banner, starttls, tls_version, "
      "tls_cipher, tls_group, cert_sha256, elapsed_ms FROM src.endpoints WHERE run_id = ?2");
  copy(
      "INSERT INTO mta_sts_policies (run_id, domain, record_id, mode, max_age, mx, body) "
      "SELECT ?1, domain, record_id, mode, max_age, mx, body FROM src.mta_sts_policies "
      "WHERE run_id = ?2");
}

}  // namespace

MergeResult merge_runs(Database& out, const std::vector<std::filesystem::path>& inputs,
                       const std::string& now, const std::string& mxscan_version) {
  std::vector<SourceRun> sources;
  for (const auto& path : inputs) {
    const auto db = open_for_reading(path);
    sources.push_back(newest_run(db, path));
    if (sources.back().options != sources.front().options ||
        sources.back().kind != sources.front().kind) {
      throw StoreError(fmt::format("{}: its run was made with other options than {}'s",
                                   path.string(), inputs.front().string()),
                       SQLITE_MISMATCH);
    }
  }

  MergeResult result;
  result.complete = true;
  auto insert = out.prepare(
      "INSERT INTO runs (kind, options, input_digest, started_at, state, mxscan_version) "
      "VALUES (?1, ?2, '', ?3, 'running', ?4)");
  insert.bind(1, std::string_view(sources.front().kind))
      .bind(2, std::string_view(sources.front().options))
      .bind(3, std::string_view(now))
      .bind(4, std::string_view(mxscan_version));
  insert.run();
  result.run = out.last_insert_rowid();
  // SQLite attaches only outside a transaction: each input is copied in a transaction of its own,
  // and a failure removes the half-merged run (its rows go with it, by ON DELETE CASCADE).
  try {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      auto attach = out.prepare("ATTACH DATABASE ?1 AS src");
      attach.bind(1, std::string_view(inputs[i].string()));
      attach.run();
      out.exec("BEGIN IMMEDIATE");
      try {
        copy_run(out, sources[i].id, result.run);
        out.exec("COMMIT");
      } catch (...) {
        out.exec("ROLLBACK");
        out.exec("DETACH DATABASE src");
        throw;
      }
      out.exec("DETACH DATABASE src");
      result.complete = result.complete && sources[i].state == "complete";
    }
    // The input digest of the whole input, in its original order: as the unsharded run's.
    std::string joined;
    auto domains = out.prepare("SELECT domain FROM run_inputs WHERE run_id = ?1 ORDER BY position");
    domains.bind(1, result.run);
    std::int64_t total = 0;
    while (domains.step()) {
      joined += domains.column_text(0);
      joined += '\n';
      ++total;
    }
    auto count = out.prepare("SELECT count(*) FROM domains WHERE run_id = ?1");
    count.bind(1, result.run);
    count.step();
    result.domains = static_cast<std::size_t>(count.column_int(0));
    auto update = out.prepare(
        "UPDATE runs SET input_digest = ?1, domains_total = ?2, state = ?3, finished_at = ?4 "
        "WHERE id = ?5");
    update.bind(1, std::string_view(sha256_hex(joined)))
        .bind(2, total)
        .bind(3, std::string_view(result.complete ? "complete" : "interrupted"))
        .bind(4, std::string_view(now))
        .bind(5, result.run);
    update.run();
  } catch (...) {
    auto remove = out.prepare("DELETE FROM runs WHERE id = ?1");
    remove.bind(1, result.run);
    remove.run();
    throw;
  }
  return result;
}

}  // namespace mx::store
