// The zygote tree of library sets, live (invoker/zygote_pool.h, docs/zygotes.md "A tree of library sets"):
// real Debian packages from the repository scripts/setup builds, a sandboxed RuntimeContainerFactory with
// its ZygotePool and a LibraryCache. Skips without the repository or without sandboxes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "controller/library_repository.h"
#include "invoker/library_cache.h"
#include "invoker/runtime_container_factory.h"
#include "sandbox/sandbox.h"
#include "tests/trace/temp_dir.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// What the function found imported before its own imports ran, and that they work.
constexpr const char* kProbe = R"(import sys
preloaded = {m: m in sys.modules for m in ('numpy', 'PIL', 'yaml')}
def main(a):
    got = {}
    for m in a['imports']:
        got[m] = __import__(m).__name__
    return {'preloaded': preloaded, 'got': got}
)";

struct ZygoteTree : ::testing::Test {
  void SetUp() override {
    std::string why;
    if (!sandbox::Sandbox::supported(&why)) GTEST_SKIP() << "sandboxes unsupported here: " << why;
    if (!fs::exists(fs::path(HEARTH_LIBRARY_REPO) / "manifest.json"))
      GTEST_SKIP() << "no library repository at " << HEARTH_LIBRARY_REPO << " (scripts/setup builds it)";
    ::chmod(dir.str().c_str(), 0755);
    repo = std::make_unique<controller::LibraryRepository>(HEARTH_LIBRARY_REPO);
    cache = std::make_unique<invoker::LibraryCache>(dir.str() + "/cache", std::int64_t{2} << 30);
    cache->set_fetcher([this](const net::LibraryRef& ref) {
      auto bytes = repo->read(ref.sha256);
      if (!bytes) throw std::runtime_error("not in the repository: " + ref.name);
      return *bytes;
    });
    factory = std::make_unique<invoker::RuntimeContainerFactory>(dir.str() + "/code", /*sandboxed=*/true, 0, true,
                                                                 std::vector<std::string>{}, 1024);
    factory->set_library_cache(cache.get());
    ASSERT_TRUE(factory->zygotes()->wait_ready(1, 60'000)) << factory->zygotes()->error();
  }
  void TearDown() override {
    containers.clear();
    factory.reset();
    cache.reset();
  }
  net::ActionRecord action(const std::string& name, std::vector<std::string> libraries) {
    net::ActionRecord a;
    a.ns = "tree";
    a.name = name;
    a.kind = "python:3";
    a.memory_mb = 256;
    a.revision = 1;
    a.code = kProbe;
    a.libraries = libraries;
    a.library_refs = repo->resolve(libraries);
    return a;
  }
  // A cold start of `a`; returns its container's answer to `imports`, with "zygote" set when it forked.
  json start(const net::ActionRecord& a, const std::vector<std::string>& imports) {
    std::int64_t init_us = 0;
    std::string error;
    auto c = factory->create(a, &init_us, &error);
    EXPECT_TRUE(c) << error;
    if (!c) return json::object();
    invoker::RunOutcome out = c->run(json{{"imports", imports}}.dump(), 30'000);
    EXPECT_EQ(out.status, "success") << out.result_json;
    json r = json::parse(out.result_json);
    r["zygote"] = c->from_zygote();
    r["init_ms"] = static_cast<double>(init_us) / 1000.0;
    containers.push_back(std::move(c));
    return r;
  }
  hearth::testing::TempDir dir;
  std::unique_ptr<controller::LibraryRepository> repo;
  std::unique_ptr<invoker::LibraryCache> cache;
  std::unique_ptr<invoker::RuntimeContainerFactory> factory;
  std::vector<std::unique_ptr<invoker::LiveContainer>> containers;
};

TEST_F(ZygoteTree, ASetsZygoteIsForkedFromItsLargestKeptSubsetAndFunctionsForkFromTheBestSubset) {
  invoker::ZygotePool& pool = *factory->zygotes();
  const policy::LibrarySet numpy = {"numpy"}, numpy_pil = {"numpy", "pil"}, numpy_yaml = {"numpy", "yaml"};
  // The baseline: the first cold start of {numpy} has no zygote; numpy is not loaded before its import.
  const json first = start(action("np0", numpy), {"numpy"});
  EXPECT_EQ(first["zygote"], false);
  EXPECT_EQ(first["preloaded"]["numpy"], false) << first;
  ASSERT_TRUE(pool.wait_for_set(numpy, 120'000));
  EXPECT_EQ(pool.parent_of(numpy), policy::LibrarySet{}) << "{numpy} hangs under the library root";

  // {numpy, pil}: its first cold start forks from {numpy} (its best kept subset) and imports PIL itself.
  const json np_pil = start(action("nppil0", numpy_pil), {"numpy", "PIL"});
  EXPECT_EQ(np_pil["zygote"], true) << np_pil;
  EXPECT_EQ(np_pil["preloaded"]["numpy"], true) << np_pil;
  EXPECT_EQ(np_pil["preloaded"]["PIL"], false) << np_pil;
  EXPECT_EQ(np_pil["got"]["PIL"], "PIL") << np_pil;
  // Then the pool starts {numpy, pil}'s own zygote, forked from {numpy}'s: its forks hold both.
  ASSERT_TRUE(pool.wait_for_set(numpy_pil, 120'000));
  EXPECT_EQ(pool.parent_of(numpy_pil), numpy);
  const json from_child = start(action("nppil1", numpy_pil), {"numpy", "PIL"});
  EXPECT_EQ(from_child["zygote"], true);
  EXPECT_EQ(from_child["preloaded"]["numpy"], true) << from_child;
  EXPECT_EQ(from_child["preloaded"]["PIL"], true) << from_child;

  // {numpy, yaml} with only {numpy} (and {numpy, pil}) kept: starts from {numpy}, imports yaml itself.
  const json np_yaml = start(action("npyaml0", numpy_yaml), {"numpy", "yaml"});
  EXPECT_EQ(np_yaml["zygote"], true) << np_yaml;
  EXPECT_EQ(np_yaml["preloaded"]["numpy"], true) << np_yaml;
  EXPECT_EQ(np_yaml["preloaded"]["PIL"], false) << "not from {numpy, pil}: " << np_yaml;
  EXPECT_EQ(np_yaml["preloaded"]["yaml"], false) << np_yaml;
  EXPECT_EQ(np_yaml["got"]["yaml"], "yaml") << np_yaml;
  // A function of {numpy} cannot import what it did not declare, though its zygote's root sees the cache.
  const json bare = start(action("np1", numpy), {"numpy"});
  EXPECT_EQ(bare["zygote"], true);
  std::int64_t init_us = 0;
  std::string error;
  net::ActionRecord sneaky = action("np2", numpy);
  sneaky.code = "import yaml\ndef main(a):\n    return {}\n";
  EXPECT_FALSE(factory->create(sneaky, &init_us, &error));
  EXPECT_NE(error.find("No module named 'yaml'"), std::string::npos) << error;
}

// Eviction of a parent with live children (the rule in invoker/zygote_pool.h): the parent stops serving
// at once, the child keeps serving (its parent's process lives on under it), and when the child goes too
// the sets' functions start interpreters again; forks already running keep working throughout.
TEST_F(ZygoteTree, AParentEvictedWhileItsChildIsKeptStopsServingAndTheChildServesOn) {
  invoker::ZygotePool& pool = *factory->zygotes();
  const policy::LibrarySet numpy = {"numpy"}, numpy_pil = {"numpy", "pil"};
  start(action("np0", numpy), {"numpy"});
  ASSERT_TRUE(pool.wait_for_set(numpy, 120'000));
  for (int i = 0; i < 4; ++i) start(action("nppil" + std::to_string(i), numpy_pil), {"PIL"});  // more popular
  ASSERT_TRUE(pool.wait_for_set(numpy_pil, 120'000));
  ASSERT_EQ(pool.parent_of(numpy_pil), numpy);
  const json running_fork = start(action("nppil9", numpy_pil), {"PIL"});
  ASSERT_EQ(running_fork["preloaded"]["PIL"], true);

  // Memory pressure: a budget that holds {numpy, pil}'s zygote alone (its estimate is the larger one).
  // The pool's estimate of a set's zygote: 16 MB + 4 × its closure's .deb bytes.
  const auto estimate = [&](const std::vector<std::string>& libraries) {
    std::int64_t bytes = 0;
    for (const net::LibraryRef& r : repo->resolve(libraries)) bytes += r.bytes;
    return 16 + (4 * bytes + (1 << 20) - 1) / (1 << 20);
  };
  pool.set_budget_mb(estimate(numpy) + estimate(numpy_pil) - 1);  // not both: the more popular per MB stays
  for (int i = 0; i < 200 && pool.library_sets() != 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(pool.library_sets(), 1u);
  EXPECT_FALSE(pool.parent_of(numpy)) << "the parent no longer serves";
  EXPECT_EQ(pool.parent_of(numpy_pil), numpy) << "the child serves on";
  EXPECT_FALSE(pool.find(numpy));
  const json child_fork = start(action("nppil10", numpy_pil), {"numpy", "PIL"});
  EXPECT_EQ(child_fork["zygote"], true);
  EXPECT_EQ(child_fork["preloaded"]["numpy"], true) << child_fork;
  EXPECT_EQ(child_fork["preloaded"]["PIL"], true) << child_fork;

  // No budget: every set's zygote goes; a running fork still answers, new cold starts start interpreters.
  pool.set_budget_mb(0);
  for (int i = 0; i < 200 && pool.library_sets() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(pool.library_sets(), 0u);
  EXPECT_EQ(containers.back()->run(json{{"imports", {"PIL"}}}.dump(), 30'000).status, "success");
  const json plain = start(action("nppil11", numpy_pil), {"numpy", "PIL"});
  EXPECT_EQ(plain["zygote"], false);
  EXPECT_EQ(plain["got"]["PIL"], "PIL");
}

}  // namespace
}  // namespace hearth
