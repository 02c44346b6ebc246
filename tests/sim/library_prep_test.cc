// `hearth sim --libraries`: what a cold start pays for library preparation, the node stores, the modes.
#include "sim/library_prep.h"

#include <gtest/gtest.h>

#include <memory>

#include "sim/engine.h"
#include "tests/sim/fixed_workload.h"

namespace hearth::sim {
namespace {

using testing::call;
using testing::function;
using testing::workload;

constexpr model::Micros kMs = model::kMicrosPerMilli;

// Libraries: 0 = 1 MB, 1 = 2 MB, 2 = 4 MB. Function 0 imports {0, 1}, function 1 imports {1}, function 2 {2}.
std::shared_ptr<LibrarySetup> setup(LibraryMode mode) {
  auto s = std::make_shared<LibrarySetup>();
  s->mode = mode;
  s->size_kb = {1024, 2048, 4096};
  s->imports = {{0, 1}, {1}, {2}};
  s->cost = {10 * kMs, 5 * kMs, 20 * kMs};  // per MB fetch, per MB unpack, per library
  s->cache_kb = 8 * 1024;
  return s;
}

SimConfig config(std::uint32_t nodes) {
  SimConfig c;
  c.nodes = nodes;
  c.node_memory_mb = 4096;
  c.node_cores = 8;
  c.placement = "max-memory";
  c.keepalive = "ttl";
  c.prewarm = "none";
  c.cold_contention_us = 0;
  return c;
}

std::vector<model::FunctionSpec> fns() {
  return {function(0, 256, 100 * kMs, 500 * kMs), function(1, 256, 100 * kMs, 500 * kMs),
          function(2, 256, 100 * kMs, 500 * kMs)};
}

TEST(LibraryPrep, ColdStartPaysFetchUnpackAndPerLibraryForMissingLibraries) {
  // Without libraries: 500 ms cold start + 100 ms run. With reg: + (1 MB · 15 ms + 20 ms) + (2 MB · 15 ms
  // + 20 ms) = + 85 ms.
  SimConfig plain = config(1);
  auto w0 = workload(fns(), {call(0, 0, 100 * kMs)});
  EXPECT_EQ(run_simulation(w0, plain).end_us, 600 * kMs);
  SimConfig c = config(1);
  c.libraries = setup(LibraryMode::kReg);
  auto w = workload(fns(), {call(0, 0, 100 * kMs)});
  const SimResult r = run_simulation(w, c);
  EXPECT_EQ(r.end_us, 685 * kMs);
  ASSERT_TRUE(r.libraries);
  EXPECT_EQ(r.libraries->prep_us.count(), 1u);
  EXPECT_EQ(r.libraries->prep_us.max(), 85 * kMs);
  EXPECT_EQ(r.libraries->node_end_kb, (std::vector<std::int64_t>{3072}));
  EXPECT_EQ(r.libraries->fetched_kb, 3072);
}

TEST(LibraryPrep, LibrariesOnTheNodeAreSharedByLaterColdStarts) {
  // Function 0 prepares {0, 1}; function 1 (imports {1}) then cold-starts on the same node for free.
  SimConfig c = config(1);
  c.libraries = setup(LibraryMode::kReg);
  auto w = workload(fns(), {call(0, 0, 100 * kMs), call(1, 1000 * kMs, 100 * kMs)});
  const SimResult r = run_simulation(w, c);
  ASSERT_TRUE(r.libraries);
  EXPECT_EQ(r.libraries->prep_us.count(), 2u);
  EXPECT_EQ(r.libraries->prep_us.max(), 85 * kMs);
  EXPECT_EQ(r.libraries->prep_us.min(), 0);
  EXPECT_EQ(r.libraries->library_hits, 1u);
  EXPECT_EQ(r.libraries->library_misses, 2u);
}

TEST(LibraryPrep, TheStoreIsBoundedAndEvictsLeastRecentlyUsed) {
  // A 5 MB store: function 0 keeps {0, 1} (3 MB); function 2 needs 4 MB: both go (LRU first, then the
  // other); function 0 pays again.
  SimConfig c = config(1);
  auto s = setup(LibraryMode::kReg);
  s->cache_kb = 5 * 1024;
  c.libraries = s;
  auto w = workload(fns(), {call(0, 0, 100 * kMs), call(2, 1000 * kMs, 100 * kMs), call(0, 1000 * kMs + 1, 100 * kMs)});
  const SimResult r = run_simulation(w, c);
  ASSERT_TRUE(r.libraries);
  // Function 0's second invocation finds its warm container: only two cold starts.
  ASSERT_EQ(r.libraries->prep_us.count(), 2u);
  EXPECT_EQ(r.libraries->prep_us.min(), 4 * 15 * kMs + 20 * kMs);  // function 2's: 80 ms, below the first's 85
  EXPECT_EQ(r.libraries->evictions, 2u);
  EXPECT_EQ(r.libraries->node_end_kb, (std::vector<std::int64_t>{4096}));
  for (auto peak : r.libraries->node_peak_kb) EXPECT_LE(peak, 5 * 1024);
}

TEST(LibraryPrep, SockPreparesEverythingEverywhere) {
  SimConfig c = config(2);
  c.libraries = setup(LibraryMode::kSock);
  auto w = workload(fns(), {call(0, 0, 100 * kMs), call(2, 0, 100 * kMs)});
  const SimResult r = run_simulation(w, c);
  ASSERT_TRUE(r.libraries);
  EXPECT_EQ(r.libraries->prep_us.count(), 2u);
  EXPECT_EQ(r.libraries->prep_us.max(), 0);
  EXPECT_EQ(r.libraries->node_end_kb, (std::vector<std::int64_t>{7168, 7168}));
  EXPECT_EQ(r.end_us, 600 * kMs);
}

TEST(LibraryPrep, ScorpiusPlacementFollowsThePlan) {
  // The plan prepares library 2 on node 1 only: the lookup sends function 2 there, which starts with no
  // preparation; max-memory would have sent it to node 0 (ties: lowest id) and paid 80 ms.
  auto s = setup(LibraryMode::kOnDemand);
  s->plan = policy::LibraryMatrix(2, 3);
  s->plan.add(1, 2, 4096);
  SimConfig c = config(2);
  c.libraries = s;
  c.placement = "scorpius";
  auto w = workload(fns(), {call(2, 0, 100 * kMs)});
  const SimResult r = run_simulation(w, c);
  ASSERT_TRUE(r.libraries);
  EXPECT_EQ(r.libraries->prep_us.count(), 1u);
  EXPECT_EQ(r.libraries->prep_us.max(), 0);
  EXPECT_EQ(r.libraries->node_end_kb, (std::vector<std::int64_t>{0, 4096}));

  SimConfig m = config(2);
  m.libraries = setup(LibraryMode::kReg);
  auto w2 = workload(fns(), {call(2, 0, 100 * kMs)});
  const SimResult r2 = run_simulation(w2, m);
  EXPECT_EQ(r2.libraries->prep_us.max(), 80 * kMs);
}

TEST(LibraryPrep, ScorpiusPlacementWithoutLibrariesIsRefused) {
  SimConfig c = config(1);
  c.placement = "scorpius";
  auto w = workload(fns(), {call(0, 0, 100 * kMs)});
  EXPECT_THROW(run_simulation(w, c), std::invalid_argument);
}

TEST(LibraryPrep, RejectsAPlanOfTheWrongShape) {
  auto s = setup(LibraryMode::kOnDemand);
  s->plan = policy::LibraryMatrix(1, 3);
  SimConfig c = config(2);
  c.libraries = s;
  auto w = workload(fns(), {call(0, 0, 100 * kMs)});
  EXPECT_THROW(run_simulation(w, c), std::invalid_argument);
}

TEST(LibraryPrep, CodeScalingPreparesTheNextServerAhead) {
  // Scorpius mode, thresholds {0}: as soon as function 1 runs on one server (usage > 0 at its next
  // arrival), its code is prepared on a second server in the background.
  auto s = setup(LibraryMode::kScorpius);
  s->plan = policy::LibraryMatrix(2, 3);
  s->scaling.codes = 1;
  s->thresholds = {{0}, {0}, {0}};
  SimConfig c = config(2);
  c.libraries = s;
  c.placement = "scorpius";
  auto w = workload(fns(), {call(1, 0, 100 * kMs), call(1, 2000 * kMs, 100 * kMs)});
  const SimResult r = run_simulation(w, c);
  ASSERT_TRUE(r.libraries);
  EXPECT_EQ(r.libraries->scaled_codes, 1u);
  EXPECT_EQ(r.libraries->node_end_kb, (std::vector<std::int64_t>{2048, 2048}));
}

}  // namespace
}  // namespace hearth::sim
