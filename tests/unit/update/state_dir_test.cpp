// The update channel's state directory: the held pair switched atomically, rolled back, and
// locked against a second update.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"
#include "update/state_dir.hpp"

namespace {

namespace fs = std::filesystem;
using mx::update::HeldPair;
using mx::update::StateDir;
using mx::update::StateError;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t versions(const fs::path& dir) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir / "versions")) {
    ++count;
  }
  return count;
}

const HeldPair first{"{\"list\": 1}\n", "signature 1\n"};
const HeldPair second{"{\"list\": 2}\n", "signature 2\n"};

}  // namespace

TEST_CASE("State directory: created empty, then holds what was committed", "[unit]") {
  const mx::test::TempDir temp;
  const fs::path dir = temp.path() / "a" / "state";
  StateDir state(dir);
  CHECK(fs::is_directory(dir));
  CHECK_FALSE(state.held());

  state.commit(first);
  state.finish();
  REQUIRE(state.held());
  CHECK(state.held()->list == first.list);
  CHECK(state.held()->signature == first.signature);
  // The stable names operators (and gpg --verify) read.
  CHECK(slurp(state.list_path()) == first.list);
  CHECK(slurp(state.signature_path()) == first.signature);
  CHECK(fs::is_symlink(dir / "current"));

  state.commit(second);
  state.finish();
  CHECK(state.held()->list == second.list);
  CHECK(slurp(state.signature_path()) == second.signature);
  CHECK(versions(dir) == 1);
}

TEST_CASE("State directory: a rollback restores the previous pair, or none", "[unit]") {
  const mx::test::TempDir temp;
  StateDir state(temp.path());
  state.commit(first);
  state.roll_back();
  CHECK_FALSE(state.held());
  CHECK_FALSE(fs::exists(state.list_path()));  // a dangling link: nothing held

  state.commit(first);
  state.finish();
  state.commit(second);
  CHECK(state.held()->list == second.list);
  state.roll_back();
  REQUIRE(state.held());
  CHECK(state.held()->list == first.list);
  CHECK(slurp(state.list_path()) == first.list);
  CHECK(slurp(state.signature_path()) == first.signature);
  state.finish();
  CHECK(versions(temp.path()) == 1);
}

TEST_CASE("State directory: committing the pair held changes nothing", "[unit]") {
  const mx::test::TempDir temp;
  StateDir state(temp.path());
  state.commit(first);
  state.finish();
  state.commit(first);
  state.roll_back();  // must not lose the pair: it was held before
  REQUIRE(state.held());
  CHECK(state.held()->list == first.list);
}

TEST_CASE("State directory: a second update on the same directory is locked out", "[unit]") {
  const mx::test::TempDir temp;
  const StateDir state(temp.path());
  REQUIRE_THROWS_AS(StateDir(temp.path()), StateError);
  try {
    const StateDir second_state(temp.path());
  } catch (const StateError& e) {
    CHECK(std::string(e.what()).find("another mxscan list update") != std::string::npos);
  }
}

TEST_CASE("State directory: a `current` that is not ours is refused, not overwritten", "[unit]") {
  const mx::test::TempDir temp;
  std::ofstream(temp.path() / "current") << "something else\n";
  StateDir state(temp.path());
  CHECK_THROWS_AS(state.held(), StateError);
  CHECK(slurp(temp.path() / "current") == "something else\n");
}
