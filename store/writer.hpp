#pragma once
// The one writer of a database: a thread fed by a bounded queue. Producers block in push() while
// the queue is full (backpressure: results are never dropped). Domains are written in batched
// transactions (up to batch_size domains, or what has arrived after max_delay), each domain with
// its hosts, addresses, checks, endpoints and certificates, so a domain is stored whole or not at
// all; endpoints are stored once per run and certificates once per database.
//
// @par Thread Safety
// push() and close() may be called from any thread. The Writer owns its own connection.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include "store/rows.hpp"

namespace mx::store {

// Domains committed so far, by status: what survives a crash.
struct WriterCounts {
  std::uint64_t written = 0;
  std::uint64_t pass = 0;
  std::uint64_t warn = 0;
  std::uint64_t fail = 0;
  std::uint64_t error = 0;
  std::uint64_t skipped = 0;  // wholly excluded (--exclude)
};

struct WriterOptions {
  std::size_t queue_capacity = 1024;
  std::size_t batch_size = 256;
  std::chrono::milliseconds max_delay{200};
};

class Writer {
 public:
  Writer(std::filesystem::path db_path, std::int64_t run, WriterOptions options = {});
  ~Writer();  // close()s
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Blocks while the queue is full. Throws the writer's error if it has failed (e.g. disk full).
  void push(DomainRow row);
  // Writes what is queued, commits, and stops the thread. Rethrows a write failure once.
  void close();

  [[nodiscard]] std::uint64_t domains_written() const;
  [[nodiscard]] WriterCounts counts() const;

 private:
  void run();
  // Rows that make a batch worth writing at once: batch_size, or fewer when the queue holds fewer.
  [[nodiscard]] std::size_t batch_ready_size() const noexcept;

  std::filesystem::path path_;
  std::int64_t run_id_;
  WriterOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<DomainRow> queue_;
  bool closing_ = false;
  bool closed_ = false;
  std::exception_ptr error_;
  WriterCounts counts_;
  std::thread thread_;
};

}  // namespace mx::store
