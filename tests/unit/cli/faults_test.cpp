// The store under faults, end to end against a loopback world: the database made read-only,
// deleted, or on a full file system mid-run; the open-file limit set low; SIGINT and SIGTERM while
// results are being written. Each ends with the contract's exit code, a message naming the file,
// PRAGMA integrity_check = ok, nothing already committed lost, and --resume (or a new run) equal
// to an uninterrupted one. kill -9 at random moments is scripts/fault/kill_resume.sh's.
//
// As root, file permissions do not stop a writer, so "read-only" is the immutable attribute
// (FS_IMMUTABLE_FL, chattr +i): ext4, xfs and btrfs then refuse writes even through descriptors
// opened before, whoever writes; tmpfs does not (checked first, the test fails saying so). The full
// file system is a small tmpfs, filled up once some domains are stored. Both need root
// (CAP_LINUX_IMMUTABLE, CAP_SYS_ADMIN), as CI has; without it they fail saying so. A file-size
// limit (prlimit --fsize) is the same failure without privileges.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "tests/support/loopback_world.hpp"

namespace {

namespace fs = std::filesystem;
using mx::test::World;
using namespace std::chrono_literals;

// `count` domains d<i>.test, each with its own MX host whose greeting comes after `delay`; every
// `mta_sts_every`-th (0: none) also publishes an enforce MTA-STS policy, fetched beside the SMTP
// probe (a second socket). The list is written to <world dir>/input.txt.
std::string build_world(World& world, int count, std::chrono::milliseconds delay,
                        int mta_sts_every = 0) {
  const auto input = (world.dir() / "input.txt").string();
  std::ofstream out(input);
  for (int i = 0; i < count; ++i) {
    const auto domain = "d" + std::to_string(i) + ".test";
    auto behaviour = world.tls_behaviour("mx." + domain);
    behaviour.greeting.delay = delay;
    world.add_domain(domain, behaviour);
    if (mta_sts_every != 0 && i % mta_sts_every == 0) {
      world.add_mta_sts(
          domain, "1",
          mx::world::HttpsResponse::policy("version: STSv1\r\nmode: enforce\r\nmx: mx." + domain +
                                           "\r\nmax_age: 86400\r\n"));
    }
    out << domain << '\n';
  }
  return input;
}

std::vector<std::string> scan_args(const World& world, const std::string& input,
                                   const std::string& db, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv{MXSCAN_BINARY, "scan", "--input", input, "--db", db};
  const auto options = world.world_options();
  argv.insert(argv.end(), options.begin(), options.end());
  argv.emplace_back("--allow-private");
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

std::string query_text(const std::string& db_path, const std::string& sql) {
  const auto db = mx::store::open_for_reading(db_path);
  auto statement = db.prepare(sql);
  REQUIRE(statement.step());
  return statement.column_text(0);
}

std::int64_t query_int(const std::string& db_path, const std::string& sql) {
  const auto db = mx::store::open_for_reading(db_path);
  auto statement = db.prepare(sql);
  REQUIRE(statement.step());
  return statement.column_int(0);
}

// "ok" when the file is sound and every foreign key holds (the writer does not check them).
std::string integrity(const std::string& db_path) {
  auto verdict = query_text(db_path, "PRAGMA integrity_check");
  if (verdict != "ok") {
    return verdict;
  }
  const auto orphans = query_int(db_path, "SELECT count(*) FROM pragma_foreign_key_check");
  return orphans == 0 ? verdict : std::to_string(orphans) + " rows break a foreign key";
}

// Domains stored so far by a scan running in another process; 0 while the file is not ready.
std::int64_t stored(const std::string& db_path) {
  try {
    const auto db = mx::store::open_for_reading(db_path);
    auto statement = db.prepare("SELECT count(*) FROM domains");
    statement.step();
    return statement.column_int(0);
  } catch (const mx::store::StoreError&) {
    return 0;
  }
}

bool wait_for_stored(const std::string& db_path, std::int64_t at_least) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stored(db_path) >= at_least) {
      return true;
    }
    // Polling another process's database: there is nothing to wait on.
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

std::string export_jsonl(const std::string& db_path) {
  const auto result =
      mx::test::run_process({MXSCAN_BINARY, "export", "--db", db_path, "--format", "jsonl"});
  REQUIRE(result.exit_code == 0);
  return result.out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Sets or clears FS_IMMUTABLE_FL (chattr +i / -i); the errno when refused, else 0.
int set_immutable(const fs::path& path, bool on) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno;
  }
  int flags = 0;
  int error = 0;
  if (ioctl(fd, FS_IOC_GETFLAGS, &flags) != 0) {
    error = errno;
  } else {
    flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
    if (ioctl(fd, FS_IOC_SETFLAGS, &flags) != 0) {
      error = errno;
    }
  }
  close(fd);
  return error;
}

// Files made immutable until the object goes (so that the world's directory can be removed).
class Immutable {
 public:
  explicit Immutable(std::vector<fs::path> paths) : paths_(std::move(paths)) {
    for (const auto& path : paths_) {
      if (const int error = set_immutable(path, true); error != 0) {
        release();
        FAIL("chattr +i " << path << ": " << std::strerror(error)
                          << " (needs root and ext4, xfs or btrfs)");
      }
    }
  }
  ~Immutable() { release(); }
  Immutable(const Immutable&) = delete;
  Immutable& operator=(const Immutable&) = delete;

  void release() {
    for (const auto& path : paths_) {
      set_immutable(path, false);
    }
    paths_.clear();
  }

 private:
  std::vector<fs::path> paths_;
};

// Fails the test unless an immutable file refuses a write through a descriptor opened before, as
// the database's writer holds its files: true of ext4, xfs and btrfs, not of tmpfs.
void require_immutable_refuses_open_writers(const fs::path& dir) {
  const auto probe = dir / "immutable-probe";
  const int fd = open(probe.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  ssize_t written = 0;
  {
    Immutable frozen({probe});
    written = pwrite(fd, "x", 1, 0);
  }
  close(fd);
  fs::remove(probe);
  if (written >= 0) {
    FAIL("the file system of " << dir
                               << " lets an open descriptor write to an immutable file: "
                                  "run this test on ext4, xfs or btrfs");
  }
}

// A tmpfs of `size` mounted on `dir` until the object goes.
class SmallTmpfs {
 public:
  SmallTmpfs(fs::path dir, const std::string& size) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    const auto options = "size=" + size;
    if (mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      FAIL("mount -t tmpfs -o " << options << " tmpfs " << dir_ << ": " << std::strerror(errno)
                                << " (needs root: CAP_SYS_ADMIN)");
    }
    mounted_ = true;
  }
  ~SmallTmpfs() {
    if (mounted_) {
      umount2(dir_.c_str(), MNT_DETACH);
    }
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;

  const fs::path& dir() const { return dir_; }

  // Writes `file` until the file system has no room left; its size.
  std::uintmax_t fill(const fs::path& file) const {
    const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE(fd >= 0);
    std::array<char, 65536> block{};
    std::uintmax_t total = 0;
    for (;;) {
      const auto n = write(fd, block.data(), block.size());
      if (n <= 0) {
        break;
      }
      total += static_cast<std::uintmax_t>(n);
    }
    close(fd);
    return total;
  }

 private:
  fs::path dir_;
  bool mounted_ = false;
};

// Keeps this process's descriptors (the world's hundred listening sockets) out of the programs it
// starts from now on, as a service manager would: mxscan counts those it inherits against its
// limit.
void close_on_exec_all() {
  std::vector<int> fds;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    fds.push_back(std::stoi(entry.path().filename().string()));
  }
  for (const int fd : fds) {
    if (fd > 2) {
      fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
    }
  }
}

// An uninterrupted scan of the world into `db`; its export.
std::string clean_export(const World& world, const std::string& input, const std::string& db) {
  const auto clean = mx::test::run_process(scan_args(world, input, db));
  CAPTURE(clean.err);
  REQUIRE(clean.exit_code == 0);
  return export_jsonl(db);
}

// `db`, left unfinished by a fault, resumed: it must end complete and equal to `expected`.
void check_resumes(const World& world, const std::string& input, const std::string& db,
                   std::int64_t domains, const std::string& expected) {
  const auto resumed = mx::test::run_process(scan_args(world, input, db, {"--resume"}));
  CAPTURE(resumed.err);
  CHECK(resumed.exit_code == 0);
  CHECK(contains(resumed.err, "resuming run 1"));
  CHECK(query_int(db, "SELECT count(*) FROM runs") == 1);
  CHECK(query_text(db, "SELECT state FROM runs") == "complete");
  CHECK(stored(db) == domains);
  CHECK(integrity(db) == "ok");
  CHECK(export_jsonl(db) == expected);
}

// A slow scan (4 domains in flight, one thread) that a test disturbs once some are stored.
const std::vector<std::string> slow{"--concurrency", "4", "--threads", "1"};

}  // namespace

TEST_CASE("faults: the database made read-only mid-run: exit 2 naming it, --resume finishes",
          "[loopback][fault]") {
  World world;
  const auto input = build_world(world, 100, 40ms);
  world.start();
  require_immutable_refuses_open_writers(world.dir());
  const auto expected = clean_export(world, input, (world.dir() / "clean.db").string());
  const auto db = (world.dir() / "scan.db").string();

  int code = 0;
  std::string err;
  std::int64_t before = 0;
  {
    mx::test::ChildProcess scan(scan_args(world, input, db, slow), world.dir().string());
    REQUIRE(wait_for_stored(db, 10));
    before = stored(db);
    // The database and its WAL, where the writer's next commit goes.
    Immutable frozen({db, db + "-wal"});
    code = scan.wait(60s);
    err = scan.err();
  }
  CAPTURE(err);
  CHECK(code == 2);  // CONTRACT.md: 2 for an unusable input or store
  CHECK(contains(err, "cannot store the results in " + db));
  CHECK(contains(err, "Operation not permitted"));
  CHECK(contains(err, "finish it with the same command and --resume"));
  // Writable again: intact, nothing committed lost, the run still unfinished.
  CHECK(integrity(db) == "ok");
  CHECK(stored(db) >= before);
  CHECK(stored(db) < 100);
  CHECK(query_text(db, "SELECT state FROM runs") == "running");
  check_resumes(world, input, db, 100, expected);
}

TEST_CASE("faults: the database deleted mid-run: exit 2 saying so, no empty database in its place",
          "[loopback][fault]") {
  World world;
  const auto input = build_world(world, 100, 40ms);
  world.start();
  const auto expected = clean_export(world, input, (world.dir() / "clean.db").string());
  const auto db = (world.dir() / "scan.db").string();

  int code = 0;
  std::string err;
  {
    mx::test::ChildProcess scan(scan_args(world, input, db, slow), world.dir().string());
    REQUIRE(wait_for_stored(db, 10));
    // As `rm scan.db*` would: SQLite goes on writing into the open, now nameless, files.
    for (const auto* suffix : {"", "-wal", "-shm"}) {
      fs::remove(db + suffix);
    }
    code = scan.wait(60s);
    err = scan.err();
  }
  CAPTURE(err);
  CHECK(code == 2);
  CHECK(contains(err, "cannot store the results in " + db +
                          ": the database file was deleted or replaced during the run"));
  CHECK(contains(err, "run 1 went with that file; run the command again to start over"));
  // Not reported complete in an empty database created in its place.
  CHECK_FALSE(fs::exists(db));

  // --resume finds nothing to resume and starts over, to the same end.
  const auto again = mx::test::run_process(scan_args(world, input, db, {"--resume"}));
  CAPTURE(again.err);
  CHECK(again.exit_code == 0);
  CHECK(contains(again.err, "no unfinished run"));
  CHECK(query_text(db, "SELECT state FROM runs") == "complete");
  CHECK(integrity(db) == "ok");
  CHECK(export_jsonl(db) == expected);
}

TEST_CASE("faults: the file system fills up mid-run: exit 2 naming the database, --resume finishes",
          "[loopback][fault]") {
  World world;
  const auto input = build_world(world, 100, 40ms);
  world.start();
  const auto expected = clean_export(world, input, (world.dir() / "clean.db").string());
  SmallTmpfs small(world.dir() / "small", "4m");
  const auto db = (small.dir() / "scan.db").string();

  int code = 0;
  std::string err;
  std::int64_t before = 0;
  {
    mx::test::ChildProcess scan(scan_args(world, input, db, slow), world.dir().string());
    REQUIRE(wait_for_stored(db, 10));
    before = stored(db);
    CHECK(small.fill(small.dir() / "filler") > 0);
    code = scan.wait(60s);
    err = scan.err();
  }
  CAPTURE(err);
  CHECK(code == 2);
  CHECK(contains(err, "cannot store the results in " + db + ": database or disk is full"));
  CHECK(contains(err, "finish it with the same command and --resume"));
  CHECK(integrity(db) == "ok");
  CHECK(stored(db) >= before);
  CHECK(stored(db) < 100);
  CHECK(query_text(db, "SELECT state FROM runs") == "running");
  // Room again: the same command with --resume finishes the run.
  fs::remove(small.dir() / "filler");
  check_resumes(world, input, db, 100, expected);
}

TEST_CASE("faults: a file-size limit reached mid-run is reported like a full disk, not a crash",
          "[loopback][fault]") {
  World world;
  const auto input = build_world(world, 100, 0ms);
  world.start();
  const auto expected = clean_export(world, input, (world.dir() / "clean.db").string());
  const auto db = (world.dir() / "scan.db").string();

  // ulimit -f (LimitFSIZE= in a unit): the WAL outgrows 256 KiB after some commits. Without
  // SIGXFSZ ignored, the process would die of it mid-transaction, saying nothing.
  std::vector<std::string> argv{"/usr/bin/prlimit", "--fsize=262144"};
  const auto scan = scan_args(world, input, db);
  argv.insert(argv.end(), scan.begin(), scan.end());
  const auto limited = mx::test::run_process(argv);
  CAPTURE(limited.err);
  CHECK(limited.exit_code == 2);
  CHECK(contains(limited.err, "cannot store the results in " + db));
  CHECK(contains(limited.err, "(File too large)"));
  CHECK(contains(limited.err, "finish it with the same command and --resume"));
  CHECK(integrity(db) == "ok");
  CHECK(stored(db) < 100);
  CHECK(query_text(db, "SELECT state FROM runs") == "running");
  check_resumes(world, input, db, 100, expected);
}

TEST_CASE("faults: a low open-file limit slows the scan down instead of failing domains",
          "[loopback][fault]") {
  World world;
  // A third of the domains fetch an MTA-STS policy beside their SMTP probe: two sockets each.
  const auto input = build_world(world, 90, 20ms, 3);
  world.start();
  close_on_exec_all();
  const auto expected = clean_export(world, input, (world.dir() / "clean.db").string());

  // soft = hard: mxscan cannot raise it. 2 threads hold about 26 descriptors: 64 leaves room for
  // 19 domains in flight, 32 for 3 (the default --concurrency is 1000).
  for (const int limit : {64, 32}) {
    CAPTURE(limit);
    const auto db = (world.dir() / ("limit" + std::to_string(limit) + ".db")).string();
    std::vector<std::string> argv{"/usr/bin/prlimit", fmt::format("--nofile={}:{}", limit, limit)};
    const auto scan = scan_args(world, input, db, {"--threads", "2"});
    argv.insert(argv.end(), scan.begin(), scan.end());
    const auto result = mx::test::run_process(argv);
    CAPTURE(result.err);
    CHECK(result.exit_code == 0);
    CHECK(stored(db) == 90);
    CHECK(export_jsonl(db) == expected);  // no domain failed for want of a descriptor
  }

  // Too low for even one domain: refused before anything is written, saying what to do.
  const auto db = (world.dir() / "limit24.db").string();
  std::vector<std::string> argv{"/usr/bin/prlimit", "--nofile=24:24"};
  const auto scan = scan_args(world, input, db, {"--threads", "2"});
  argv.insert(argv.end(), scan.begin(), scan.end());
  const auto refused = mx::test::run_process(argv);
  CAPTURE(refused.err);
  CHECK(refused.exit_code == 2);
  CHECK(contains(refused.err, "the open-file limit (ulimit -n) is 24"));
  CHECK(contains(refused.err, "raise it, or give fewer --threads"));
  CHECK_FALSE(fs::exists(db));
}

TEST_CASE("faults: SIGINT and SIGTERM while results are written: interrupted, intact, resumable",
          "[loopback][fault]") {
  World world;
  const auto input = build_world(world, 160, 40ms);
  world.start();
  const auto expected = clean_export(world, input, (world.dir() / "clean.db").string());

  for (const int signo : {SIGINT, SIGTERM}) {
    CAPTURE(signo);
    const auto db = (world.dir() / ("signal" + std::to_string(signo) + ".db")).string();
    int code = 0;
    std::string err;
    std::int64_t before = 0;
    {
      // Two threads feeding the writer, which commits every 200 ms while domains arrive: the
      // signal lands at some point of that cycle.
      mx::test::ChildProcess scan(
          scan_args(world, input, db, {"--concurrency", "8", "--threads", "2"}),
          world.dir().string());
      REQUIRE(wait_for_stored(db, 20));
      before = stored(db);
      scan.signal(signo);
      code = scan.wait(60s);
      err = scan.err();
    }
    CAPTURE(err);
    CHECK(code == 130);
    CHECK(
        contains(err, "interrupted; run 1 is saved, finish it with the same command and --resume"));
    CHECK(query_text(db, "SELECT state FROM runs") == "interrupted");
    CHECK(integrity(db) == "ok");
    // The domains in flight were let finish and committed; none was lost.
    CHECK(stored(db) >= before);
    CHECK(stored(db) < 160);
    check_resumes(world, input, db, 160, expected);
  }
}
