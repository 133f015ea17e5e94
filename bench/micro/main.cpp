// The Catch2 main of bench_micro, with benchmarking on (CATCH_CONFIG_ENABLE_BENCHMARKING is a
// compile definition of the target). Run `build/bench_micro` for every benchmark, or name one.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
