#pragma once
// CPU time a benchmark program reports: what it took from the cores it shares.

#include <sys/resource.h>

namespace mx::bench {

// User + system seconds so far. RUSAGE_SELF: the whole process, every thread; RUSAGE_THREAD: the
// calling thread.
inline double cpu_seconds(int who = RUSAGE_SELF) {
  rusage usage{};
  getrusage(who, &usage);
  const auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace mx::bench
