#pragma once
// `mxscan merge`: the runs of shard databases (each one's newest run) combined into one run of
// the output database, as if one machine had scanned the whole input: same options required,
// inputs in their original order, every domain, host, check, endpoint and certificate copied.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace mx::store {

struct MergeResult {
  std::int64_t run = 0;
  std::size_t domains = 0;
  bool complete = false;  // every input run was complete
};

// Throws StoreError naming the input when one has no run or its options differ from the first's.
MergeResult merge_runs(Database& out, const std::vector<std::filesystem::path>& inputs,
                       const std::string& now, const std::string& mxscan_version);

}  // namespace mx::store
