#include "scanner/engine/engine.hpp"

#include <pthread.h>
#include <sys/resource.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/functional/hash.hpp>

#include "judge/domain_rules.hpp"
#include "scanner/engine/observe_domain.hpp"

namespace mx::engine {

namespace asio = boost::asio;

namespace {

struct Shard;

// A shard's io_context, whose handlers can be destroyed while every shard's context still exists.
// A probe awaited across shards is a coroutine on the owner's context completing on the caller's:
// destroying an abandoned one posts its completion to the other context, so no context may be
// gone while another still holds such work (Engine::run ends with a shutdown of them all first).
class ShardContext : public asio::io_context {
 public:
  using asio::execution_context::shutdown;
  using asio::io_context::io_context;
};

// Sends each endpoint to the shard that owns it, so that every endpoint is probed once while it
// is cached whichever shard's domain asks first; the owner runs the probe on its own thread.
class Router : public EndpointSource {
 public:
  Router(std::vector<std::unique_ptr<Shard>>& shards, std::size_t self)
      : shards_(shards), self_(self) {}
  asio::awaitable<SharedAddressObservation> observe(std::string host, asio::ip::address ip,
                                                    int attempt) override;

 private:
  std::vector<std::unique_ptr<Shard>>& shards_;
  std::size_t self_;
};

struct Shard {
  Shard(const EngineOptions& options, std::vector<std::unique_ptr<Shard>>& shards, std::size_t self,
        std::size_t cache_share, ConnectionRate* rate)
      : resolver(io, options.resolver),
        cache(tls, *options.trust, options.probe, options.per_ip, cache_share, rate),
        router(shards, self),
        env{resolver,
            router,
            tls,
            *options.trust,
            {options.https_port, options.probe.step_timeout, options.probe.allow_private},
            kHostsBudgetProbes * cache.budget(),
            rate,
            options.exclude} {}

  ShardContext io{1};  // first member: destroyed last, after what runs on it
  dns::Resolver resolver;
  probes::tls::TlsClient tls;
  EndpointCache cache;
  Router router;
  ScanEnv env;
  std::thread thread;
};

std::size_t owner_of(const asio::ip::address& ip, const std::string& host, std::size_t shards) {
  std::size_t seed = std::hash<std::string>{}(ip.to_string());
  boost::hash_combine(seed, host);
  return seed % shards;
}

asio::awaitable<SharedAddressObservation> Router::observe(std::string host, asio::ip::address ip,
                                                          int attempt) {
  auto& owner = *shards_[owner_of(ip, host, shards_.size())];
  if (&owner == shards_[self_].get()) {
    auto local = co_await owner.cache.observe(std::move(host), ip, attempt);
    co_return local;
  }
  // The probe runs on the owner's thread; the result comes back to this coroutine's executor.
  auto remote = co_await asio::co_spawn(owner.io, owner.cache.observe(std::move(host), ip, attempt),
                                        asio::use_awaitable);
  co_return remote;
}

}  // namespace

struct Engine::Impl {
  explicit Impl(EngineOptions o) : options(std::move(o)) {}

  EngineOptions options;
  // Before the shards, which take turns from it until they are destroyed.
  std::unique_ptr<ConnectionRate> rate = options.rate > 0
                                             ? std::make_unique<ConnectionRate>(options.rate)
                                             : nullptr;
  std::vector<std::unique_ptr<Shard>> shards;
  const std::vector<std::string>* domains = nullptr;
  std::span<const std::optional<judge::ListPolicy>> policies;
  const Sink* sink = nullptr;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> in_flight{0};
  std::atomic<std::uint64_t> pass{0};
  std::atomic<std::uint64_t> warn{0};
  std::atomic<std::uint64_t> fail{0};
  std::atomic<std::uint64_t> error{0};
  std::atomic<std::uint64_t> skipped{0};
  std::mutex sink_mutex;  // the sink sees one outcome at a time

  // The control loop runs on run()'s caller: signals, progress, the grace period, the end.
  asio::io_context control{1};
  // Keeps control.run() going until finish(), whatever else is pending.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> control_work;
  std::optional<asio::steady_timer> grace_timer;
  // SIGINT and SIGTERM stay caught until the Engine goes, not only until run() returns: a signal
  // arriving while the caller commits the last results and records the run must not kill the
  // process in the middle (it is swallowed: the run is complete, or already stopping).
  std::optional<asio::signal_set> signals;
  bool finished = false;

  void count(judge::Status status) {
    switch (status) {
      case judge::Status::pass:
        ++pass;
        break;
      case judge::Status::warn:
        ++warn;
        break;
      case judge::Status::fail:
        ++fail;
        break;
      case judge::Status::error:
        ++error;
        break;
      case judge::Status::skipped:
        ++skipped;
        break;
    }
  }

  // On the control loop: the run ends when every domain is reported, or when stopping and
  // nothing is in flight.
  void maybe_finish() {
    if (!finished && (done.load() == domains->size() || (stopping && in_flight.load() == 0))) {
      finish();
    }
  }

  void finish() {
    finished = true;
    control_work.reset();
    control.stop();
  }

  // Any thread: the outcome of one domain is in.
  void domain_done() {
    asio::post(control, [this] { maybe_finish(); });
  }

  void begin_stop(std::chrono::milliseconds grace) {
    if (stopping.exchange(true)) {
      finish();  // a second request: abandon at once
      return;
    }
    grace_timer.emplace(control, grace);
    grace_timer->async_wait([this](const boost::system::error_code& ec) {
      if (!ec) {
        finish();  // in-flight domains are abandoned, not reported
      }
    });
    maybe_finish();
  }
};

namespace {

// `impl` and `shard` outlive the shard's io_context run.
asio::awaitable<void> scan_one(Engine::Impl& impl, Shard& shard, std::size_t index) {
  DomainOutcome outcome;
  outcome.index = index;
  const auto& domain = (*impl.domains)[index];
  const judge::ListPolicy* policy = nullptr;
  if (index < impl.policies.size() && impl.policies[index]) {
    policy = &*impl.policies[index];
  }
  auto observed = co_await observe_domain(shard.env, domain, 1);
  outcome.observation = std::move(observed);
  outcome.result = judge::judge_domain(outcome.observation, policy);
  if (outcome.result.status == judge::Status::error && judge::worth_retrying(outcome.result) &&
      !impl.stopping) {
    // Undetermined: timeouts, SERVFAIL and 4xx are often passing states. Look again once.
    asio::steady_timer delay(shard.io, impl.options.retry_delay);
    auto waited = co_await delay.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)waited;
    auto again = co_await observe_domain(shard.env, domain, 2);
    outcome.observation = std::move(again);
    outcome.result = judge::judge_domain(outcome.observation, policy);
    outcome.attempts = 2;
  }
  impl.count(outcome.result.status);
  {
    std::lock_guard lock(impl.sink_mutex);
    (*impl.sink)(std::move(outcome));
  }
  ++impl.done;
}

asio::awaitable<void> feeder(Engine::Impl& impl, Shard& shard) {
  while (!impl.stopping) {
    const std::size_t index = impl.next++;
    if (index >= impl.domains->size()) {
      break;
    }
    ++impl.in_flight;
    co_await scan_one(impl, shard, index);
    --impl.in_flight;
    impl.domain_done();
  }
}

}  // namespace

Engine::Engine(EngineOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Engine::~Engine() = default;

bool Engine::run(const std::vector<std::string>& domains, const Sink& sink, RunHooks hooks,
                 std::span<const std::optional<judge::ListPolicy>> policies) {
  auto& impl = *impl_;
  impl.domains = &domains;
  impl.policies = policies;
  impl.sink = &sink;
  const std::size_t threads = std::max(1U, impl.options.threads);
  // Endpoints spread evenly over the shards by their hash.
  const std::size_t cache_share = (impl.options.endpoint_cache + threads - 1) / threads;
  for (std::size_t i = 0; i < threads; ++i) {
    impl.shards.push_back(
        std::make_unique<Shard>(impl.options, impl.shards, i, cache_share, impl.rate.get()));
  }
  const std::size_t feeders = std::min(std::max<std::size_t>(impl.options.concurrency, 1),
                                       std::max<std::size_t>(domains.size(), 1));
  for (std::size_t i = 0; i < feeders; ++i) {
    auto& shard = *impl.shards[i % threads];
    asio::co_spawn(shard.io, feeder(impl, shard), asio::detached);
  }
  // An idle shard still probes the endpoints it owns for the others: every shard runs until the
  // end of the run.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& shard : impl.shards) {
    guards.push_back(asio::make_work_guard(shard->io));
  }

  auto& signals = impl.signals;
  if (hooks.handle_signals) {
    signals.emplace(impl.control, SIGINT, SIGTERM);
    signals->async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) {
        return;
      }
      impl.begin_stop(hooks.grace);
      signals->async_wait([&](const boost::system::error_code& again, int) {
        if (!again) {
          impl.finish();
        }
      });
    });
  }
  asio::steady_timer progress_timer(impl.control);
  std::function<void()> tick = [&] {
    progress_timer.expires_after(hooks.progress_interval);
    progress_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec && !impl.finished) {
        hooks.progress(stats());
        tick();
      }
    });
  };
  if (hooks.progress) {
    tick();
  }
  impl.control_work.emplace(impl.control.get_executor());
  asio::post(impl.control, [&] { impl.maybe_finish(); });

  for (std::size_t index = 0; index < impl.shards.size(); ++index) {
    auto& shard = impl.shards[index];
    shard->thread = std::thread([&io = shard->io, index] {
      // Named for top -H and perf: at 15 characters, "mxscan-shard" fits up to index 999.
      pthread_setname_np(pthread_self(), fmt::format("mxscan-shard{}", index).c_str());
      io.run();
    });
  }
  impl.control.run();

  guards.clear();
  const bool complete = impl.done.load() == domains.size();
  for (auto& shard : impl.shards) {
    shard->io.stop();  // abandons what is still in flight after the grace period
  }
  for (auto& shard : impl.shards) {
    shard->thread.join();
  }
  // Abandoned work (after stop()'s grace period) is destroyed while every context exists; each
  // round destroys what the previous one posted across shards, which is one hop deep.
  for (int round = 0; round < 2; ++round) {
    for (auto& shard : impl.shards) {
      shard->io.shutdown();
    }
  }
  impl.shards.clear();
  return complete;
}

void Engine::stop(std::chrono::milliseconds grace) {
  asio::post(impl_->control, [impl = impl_.get(), grace] { impl->begin_stop(grace); });
}

EngineStats Engine::stats() const {
  const auto& impl = *impl_;
  EngineStats s;
  s.done = impl.done;
  s.in_flight = impl.in_flight;
  s.pass = impl.pass;
  s.warn = impl.warn;
  s.fail = impl.fail;
  s.error = impl.error;
  s.skipped = impl.skipped;
  s.total = impl.domains != nullptr ? impl.domains->size() : 0;
  return s;
}

std::size_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return std::numeric_limits<std::size_t>::max();
  }
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur == RLIM_INFINITY) {
    return std::numeric_limits<std::size_t>::max();
  }
  return static_cast<std::size_t>(limit.rlim_cur);
}

std::size_t reserved_open_files(unsigned threads) {
  // Descriptors open already: the standard streams, and whatever the parent let us inherit.
  std::size_t open_now = 3;
  std::error_code ec;
  if (std::filesystem::directory_iterator fds("/proc/self/fd", ec); !ec) {
    open_now = static_cast<std::size_t>(std::distance(fds, {})) - 1;  // the iterator's own
  }
  // Then the writer's database, WAL and shared memory (3), the control loop's epoll, eventfd and
  // timerfd (3), the signal pipe (2), 2 spare; and per shard its loop's 3, its c-ares UDP socket
  // and a TCP one for a truncated answer, 1 spare. Measured: 17 with one shard and nothing in
  // flight, 20 with two.
  return open_now + 10 + 6 * static_cast<std::size_t>(std::max(1U, threads));
}

std::size_t fit_concurrency(std::size_t wanted, unsigned threads) {
  const auto limit = raise_open_file_limit();
  const auto reserved = reserved_open_files(threads);
  if (limit < reserved + kOpenFilesPerDomain) {
    return 0;
  }
  return std::min(wanted, (limit - reserved) / kOpenFilesPerDomain);
}

}  // namespace mx::engine
