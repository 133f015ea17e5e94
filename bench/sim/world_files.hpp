#pragma once
// The files of a world directory: domains.txt, policy.json (a STARTTLS policy list v0.1 of the
// world's healthy domains, with aliases, both modes, and a few stale entries), queue.csv (a
// submission backlog: unlisted domains, listed ones, malformed lines), expected.jsonl (see
// expected.hpp), mxscan.args, and world.state (what the world is and its generation, so that
// mutate and a restart find it again).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "bench/sim/world_plan.hpp"

namespace mx::sim {

// Replaces `file` whole, through FILE.partial and a rename, so that readers (and a process killed
// while writing) never see half a file. Throws std::runtime_error when it cannot be written.
void write_file(const std::filesystem::path& file, std::string_view text);

struct WorldState {
  std::size_t domains = 0;
  std::uint64_t seed = 0;
  MixOptions mix;
  std::uint32_t generation = 0;

  // The same world, whatever its generation.
  [[nodiscard]] bool same_world(const WorldState& other) const;
};

[[nodiscard]] std::optional<WorldState> read_state(const std::filesystem::path& dir);
void write_state(const std::filesystem::path& dir, const WorldState& state);

// The plan of that generation: generation 0 mutated by generations 1 .. g in turn. `last`, when
// given, receives generation g's mutations.
[[nodiscard]] WorldPlan build_world(const WorldState& state, std::vector<Mutation>* last = nullptr);

[[nodiscard]] std::string policy_list_json(const WorldPlan& plan);
[[nodiscard]] std::string queue_csv(const WorldPlan& plan);

// domains.txt and expected.jsonl, always; policy.json and queue.csv too with `lists` (the list
// and the backlog belong to generation 0: later nights change the world, not the list).
// Throws std::runtime_error when a file cannot be written.
void write_world_files(const std::filesystem::path& dir, const WorldPlan& plan, bool lists);

// DIR/mxscan.args: the mxscan options for this world, one per line.
void write_mxscan_args(const std::filesystem::path& dir, const std::string& resolver,
                       std::uint16_t smtp_port, std::uint16_t https_port);

}  // namespace mx::sim
