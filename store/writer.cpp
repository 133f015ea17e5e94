#include "store/writer.hpp"

#include <pthread.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "store/schema.hpp"

namespace mx::store {
namespace {

// The prepared statements of one connection, reused across batches.
struct Inserts {
  explicit Inserts(const Database& db)
      : domain(
            db.prepare("INSERT INTO domains (run_id, domain, status, scanned_at, attempts, result) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")),
        host(
            db.prepare("INSERT OR REPLACE INTO mx_hosts (run_id, domain, host, preference, status) "
                       "VALUES (?1, ?2, ?3, ?4, ?5)")),
        address(db.prepare("INSERT OR REPLACE INTO mx_addresses (run_id, domain, host, ip, status) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)")),
        check(db.prepare(
            "INSERT OR REPLACE INTO checks (run_id, domain, subject, host, ip, name, status, code, "
            "message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")),
        certificate(db.prepare(
            "INSERT OR IGNORE INTO certificates (sha256, der, subject, issuer, san, not_before, "
            "not_after, key_type, key_bits, signature_algorithm) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")),
        endpoint(db.prepare(
            "INSERT OR IGNORE INTO endpoints (run_id, ip, port, host, stage, ending, detail, "
            "banner, starttls, tls_version, tls_cipher, tls_group, cert_sha256, elapsed_ms) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)")),
        mta_sts(db.prepare(
            "INSERT OR REPLACE INTO mta_sts_policies (run_id, domain, record_id, mode, max_age, "
            "mx, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")) {}

  Statement domain;
  Statement host;
  Statement address;
  Statement check;
  Statement certificate;
  Statement endpoint;
  Statement mta_sts;
};

void write_domain(Inserts& s, std::int64_t run, const DomainRow& row) {
  s.domain.bind(1, run)
      .bind(2, std::string_view(row.domain))
      .bind(3, std::string_view(row.status))
      .bind(4, std::string_view(row.scanned_at))
      .bind(5, row.attempts)
      .bind(6, std::string_view(row.result_json));
  s.domain.run();
  for (const auto& host : row.hosts) {
    s.host.bind(1, run)
        .bind(2, std::string_view(row.domain))
        .bind(3, std::string_view(host.host))
        .bind(4, host.preference)
        .bind(5, std::string_view(host.status));
    s.host.run();
  }
  for (const auto& address : row.addresses) {
    s.address.bind(1, run)
        .bind(2, std::string_view(row.domain))
        .bind(3, std::string_view(address.host))
        .bind(4, std::string_view(address.ip))
        .bind(5, std::string_view(address.status));
    s.address.run();
  }
  for (const auto& check : row.checks) {
    s.check.bind(1, run)
        .bind(2, std::string_view(row.domain))
        .bind(3, std::string_view(check.subject))
        .bind(4, std::string_view(check.host))
        .bind(5, std::string_view(check.ip))
        .bind(6, std::string_view(check.name))
        .bind(7, std::string_view(check.status))
        .bind(8, std::string_view(check.code))
        .bind(9, std::string_view(check.message));
    s.check.run();
  }
  for (const auto& endpoint : row.endpoints) {
    std::optional<std::string> sha;
    if (endpoint.certificate) {
      const auto& c = *endpoint.certificate;
      sha = c.sha256;
      s.certificate.bind(1, std::string_view(c.sha256))
          .bind_blob(2, c.der)
          .bind(3, std::string_view(c.subject))
          .bind(4, std::string_view(c.issuer))
          .bind(5, std::string_view(c.san_json))
          .bind(6, std::string_view(c.not_before))
          .bind(7, std::string_view(c.not_after))
          .bind(8, std::string_view(c.key_type))
          .bind(9, c.key_bits)
          .bind(10, std::string_view(c.signature_algorithm));
      s.certificate.run();
    }
    s.endpoint.bind(1, run)
        .bind(2, std::string_view(endpoint.ip))
        .bind(3, endpoint.port)
        .bind(4, std::string_view(endpoint.host))
        .bind(5, std::string_view(endpoint.stage))
        .bind(6, std::string_view(endpoint.ending))
        .bind(7, std::string_view(endpoint.detail))
        .bind(8, endpoint.banner)
        .bind(9, static_cast<std::int64_t>(endpoint.starttls ? 1 : 0))
        .bind(10, endpoint.tls_version)
        .bind(11, endpoint.tls_cipher)
        .bind(12, endpoint.tls_group)
        .bind(13, sha)
        .bind(14, endpoint.elapsed_ms);
    s.endpoint.run();
  }
  if (row.mta_sts) {
    const auto& p = *row.mta_sts;
    s.mta_sts.bind(1, run)
        .bind(2, std::string_view(row.domain))
        .bind(3, std::string_view(p.record_id))
        .bind(4, p.mode)
        .bind(5, p.max_age)
        .bind(6, p.mx_json)
        .bind(7, p.body);
    s.mta_sts.run();
  }
}

void count(WriterCounts& counts, std::string_view status) {
  ++counts.written;
  if (status == "pass") {
    ++counts.pass;
  } else if (status == "warn") {
    ++counts.warn;
  } else if (status == "fail") {
    ++counts.fail;
  } else if (status == "error") {
    ++counts.error;
  } else if (status == "skipped") {
    ++counts.skipped;
  }
}

}  // namespace

Writer::Writer(std::filesystem::path db_path, std::int64_t run, WriterOptions options)
    : path_(std::move(db_path)),
      run_id_(run),
      options_(options),
      thread_([this] { this->run(); }) {}

Writer::~Writer() {
  try {
    close();
  } catch (...) {  // NOLINT(bugprone-empty-catch): reported by close() when the owner called it
  }
}

void Writer::push(DomainRow row) {
  std::unique_lock lock(mutex_);
  not_full_.wait(lock,
                 [&] { return queue_.size() < options_.queue_capacity || error_ || closing_; });
  if (error_) {
    std::rethrow_exception(error_);
  }
  queue_.push_back(std::move(row));
  // The writer waits for the first row of a batch, then for a full one (or its deadline).
  if (queue_.size() == 1 || queue_.size() == batch_ready_size()) {
    not_empty_.notify_one();
  }
}

void Writer::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) {
      return;
    }
    closing_ = true;
    closed_ = true;
  }
  not_empty_.notify_one();
  not_full_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
  std::lock_guard lock(mutex_);
  if (error_) {
    auto error = error_;
    error_ = nullptr;
    std::rethrow_exception(error);
  }
}

std::size_t Writer::batch_ready_size() const noexcept {
  return std::max<std::size_t>(1, std::min(options_.batch_size, options_.queue_capacity));
}

std::uint64_t Writer::domains_written() const {
  return counts().written;
}

WriterCounts Writer::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

void Writer::run() {
  pthread_setname_np(pthread_self(), "mxscan-writer");
  try {
    const std::size_t full = batch_ready_size();
    auto db = open_for_writing(path_);
    // The schema's foreign keys hold by construction here: a batch inserts each domain before its
    // hosts, addresses, checks and policy, and each certificate before its endpoint, and a domain
    // is inserted once per run (a second insert fails on its key rather than replace the row
    // under its children). Checking them cost a third of this thread's CPU (docs/performance.md);
    // the tests run PRAGMA foreign_key_check on what scans wrote.
    db.exec("PRAGMA foreign_keys = OFF");
    Inserts inserts(db);
    std::vector<DomainRow> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        not_empty_.wait(lock, [&] { return !queue_.empty() || closing_; });
        // Group commit: a transaction writes every page it touched to the WAL, and the same index
        // pages are touched by every domain, so one domain per commit would cost many times the
        // pages. Wait for a full batch (or a full queue: producers wait too), or until the first
        // row has waited max_delay.
        const auto deadline = std::chrono::steady_clock::now() + options_.max_delay;
        not_empty_.wait_until(lock, deadline, [&] { return queue_.size() >= full || closing_; });
        while (!queue_.empty() && batch.size() < options_.batch_size) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        if (batch.empty() && closing_) {
          return;
        }
      }
      not_full_.notify_all();
      if (batch.empty()) {
        continue;
      }
      db.exec("BEGIN IMMEDIATE");
      try {
        for (const auto& row : batch) {
          write_domain(inserts, run_id_, row);
        }
        db.exec("COMMIT");
      } catch (...) {
        db.rollback();
        throw;
      }
      // SQLite goes on writing into a file deleted or replaced under it: stop, and say so, rather
      // than report as stored what nobody can read.
      if (db.file_has_moved()) {
        throw StoreError(
            fmt::format("{}: the database file was deleted or replaced during the run; what the "
                        "run wrote since is lost with it",
                        path_.string()),
            SQLITE_READONLY_DBMOVED);
      }
      std::lock_guard lock(mutex_);
      for (const auto& row : batch) {
        count(counts_, row.status);
      }
      batch.clear();
    }
  } catch (...) {
    std::lock_guard lock(mutex_);
    error_ = std::current_exception();
    not_full_.notify_all();
  }
}

}  // namespace mx::store
