// Hand-worked runs of the simulator's invocation path.
#include "sim/engine.h"

#include <gtest/gtest.h>

#include "tests/sim/fixed_workload.h"

namespace hearth::sim {
namespace {

using model::millis;
using model::minutes;
using model::seconds;
using namespace testing;

SimConfig one_node(const char* keepalive, model::MegaBytes memory = 1000, int cores = 4) {
  SimConfig c;
  c.nodes = 1;
  c.node_memory_mb = memory;
  c.node_cores = cores;
  c.placement = "max-memory";
  c.keepalive = keepalive;
  c.prewarm = "none";
  c.check_invariants = true;
  return c;
}

TEST(Engine, TtlKeepsWarmThenExpires) {
  auto w = workload({function(0, 100, seconds(1), seconds(2))},
                    {call(0, 0, seconds(1)), call(0, seconds(5), seconds(1)), call(0, minutes(15), seconds(1))});
  const SimResult r = run_simulation(w, one_node("ttl:10m"));
  const Metrics& m = r.metrics;
  EXPECT_EQ(m.invocations(), 3u);
  EXPECT_EQ(m.cold_starts(), 2u);
  EXPECT_EQ(m.starts(model::StartKind::kWarm), 1u);
  EXPECT_EQ(m.completed(), 3u);
  EXPECT_EQ(r.expirations, 1u);
  // Latencies: 3 s (cold), 1 s (warm), 3 s (cold).
  EXPECT_EQ(m.latency().max(), seconds(3));
  EXPECT_EQ(m.latency().min(), seconds(1));
  // Idle: 3 s → 5 s, then 6 s → 606 s (expiry); the run ends at 903 s with the container just freed.
  EXPECT_NEAR(r.idle_memory_gb_s, 100.0 * (2 + 600) / 1024.0, 1e-9);
  EXPECT_EQ(r.end_us, seconds(903));
  EXPECT_EQ(r.peak_memory_mb, 100);
}

TEST(Engine, LruEvictsLeastRecentlyUsedUnderPressure) {
  // Node of 200 MB, three functions of 100 MB: each new one evicts the least recently used.
  auto w = workload({function(0, 100, seconds(1), seconds(1)), function(1, 100, seconds(1), seconds(1)),
                     function(2, 100, seconds(1), seconds(1))},
                    {call(0, 0, seconds(1)), call(1, seconds(10), seconds(1)), call(2, seconds(20), seconds(1)),
                     call(0, seconds(30), seconds(1)), call(2, seconds(40), seconds(1)),
                     call(1, seconds(50), seconds(1))});
  const SimResult r = run_simulation(w, one_node("lru", 200));
  // 0 cold, 1 cold, 2 cold (evicts 0), 0 cold (evicts 1), 2 warm, 1 cold (evicts 0).
  EXPECT_EQ(r.metrics.cold_starts(), 5u);
  EXPECT_EQ(r.metrics.starts(model::StartKind::kWarm), 1u);
  EXPECT_EQ(r.evictions, 3u);
  EXPECT_EQ(r.peak_memory_mb, 200);
}

// The placement's decision counts reach the result (`hearth sim --json`: placement_decisions). The run
// above under sophon:MA/MC on its one node: 0, 1 cold with room, 2, 0 cold evicting, 2 warm, 1 cold
// evicting.
TEST(Engine, ReportsThePlacementsDecisionCounts) {
  const auto w = [] {
    return workload({function(0, 100, seconds(1), seconds(1)), function(1, 100, seconds(1), seconds(1)),
                     function(2, 100, seconds(1), seconds(1))},
                    {call(0, 0, seconds(1)), call(1, seconds(10), seconds(1)), call(2, seconds(20), seconds(1)),
                     call(0, seconds(30), seconds(1)), call(2, seconds(40), seconds(1)),
                     call(1, seconds(50), seconds(1))});
  };
  SimConfig c = one_node("lru", 200);
  c.placement = "sophon:MA/MC";
  auto sophon = w();
  const SimResult r = run_simulation(sophon, c);
  EXPECT_EQ(r.metrics.cold_starts(), 5u);
  const std::vector<std::pair<std::string, std::uint64_t>> expected{
      {"warm", 1}, {"cold", 5}, {"cold_no_candidate", 0}, {"cold_no_eviction", 2}, {"cold_must_evict", 3},
      {"cold_mc_elsewhere", 0}, {"cold_mc_elsewhere_recent", 0}};
  EXPECT_EQ(r.placement_decisions, expected);
  auto plain = w();
  EXPECT_TRUE(run_simulation(plain, one_node("lru", 200)).placement_decisions.empty());  // max-memory keeps none
}

TEST(Engine, QueuesWhenCoresAreBusy) {
  auto w = workload({function(0, 100, seconds(1), millis(500)), function(1, 100, seconds(1), millis(500))},
                    {call(0, 0, seconds(1)), call(1, 0, seconds(1))});
  SimConfig c = one_node("ttl:10m", 1000, /*cores=*/1);
  c.cpu_model = SimConfig::CpuModel::kFifo;  // the FIFO queue behind cores (processor sharing: cpu_model_test)
  const SimResult r = run_simulation(w, c);
  EXPECT_EQ(r.metrics.completed(), 2u);
  EXPECT_EQ(r.metrics.wait().max(), millis(1500));          // waits for the first cold run
  EXPECT_EQ(r.metrics.latency().max(), millis(1500 + 1500));  // then its own cold run
}

TEST(Engine, QueuesWhenMemoryIsHeldByRunningWork) {
  auto w = workload({function(0, 150, seconds(1), 0), function(1, 150, seconds(1), 0)},
                    {call(0, 0, seconds(2)), call(1, seconds(1), seconds(1))});
  const SimResult r = run_simulation(w, one_node("ttl:10m", 200));
  EXPECT_EQ(r.metrics.completed(), 2u);
  EXPECT_EQ(r.metrics.wait().max(), seconds(1));  // function 1 waits until function 0 finishes at 2 s
  EXPECT_EQ(r.evictions, 1u);                     // then evicts its idle container
}

TEST(Engine, DropsFunctionsLargerThanANode) {
  auto w = workload({function(0, 5000, seconds(1), 0)}, {call(0, 0, seconds(1))});
  const SimResult r = run_simulation(w, one_node("ttl:10m"));
  EXPECT_EQ(r.metrics.dropped(model::DropReason::kTooLarge), 1u);
  EXPECT_EQ(r.metrics.completed(), 0u);
}

TEST(Engine, QueueLimitDropsWithReason) {
  auto w = workload({function(0, 100, seconds(1), 0)},
                    {call(0, 0, seconds(1)), call(0, 0, seconds(1)), call(0, 0, seconds(1))});
  SimConfig c = one_node("ttl:10m", 1000, 1);
  c.cpu_model = SimConfig::CpuModel::kFifo;  // a queue forms behind the one core
  c.queue_limit = 1;
  const SimResult r = run_simulation(w, c);
  EXPECT_EQ(r.metrics.completed(), 2u);
  EXPECT_EQ(r.metrics.dropped(model::DropReason::kQueueFull), 1u);
}

TEST(Engine, RejectsBadPolicySpec) {
  auto w = workload({function(0, 100, seconds(1), 0)}, {call(0, 0, seconds(1))});
  EXPECT_THROW(run_simulation(w, one_node("no-such-policy")), std::invalid_argument);
}

// Snapshot-and-release (policy/snapshot_release_keepalive.h).
// f0: 36 MB, 1 s runs, 5 s cold start; its restore costs 475 ms + 36 MB / 360 MB/s = 575 ms.
// 0 s cold (ends 6 s) → idle 1 min → snapshot and release at 66 s → 100 s restores (575 ms + 1 s, ends
// 101.575 s) → 120 s warm (ends 121 s, the run's end).
TEST(SnapshotEngine, AnIdleContainerIsReleasedAndALaterArrivalRestores) {
  auto w = workload({function(0, 36, seconds(1), seconds(5))},
                    {call(0, 0, seconds(1)), call(0, seconds(100), seconds(1)), call(0, seconds(120), seconds(1))});
  const SimResult r = run_simulation(w, one_node("snapshot-and-release", 1000, 4));
  const Metrics& m = r.metrics;
  EXPECT_EQ(m.cold_starts(), 1u);
  EXPECT_EQ(m.starts(model::StartKind::kSnapshot), 1u);
  EXPECT_EQ(m.starts(model::StartKind::kWarm), 1u);
  EXPECT_EQ(r.expirations, 1u);
  EXPECT_EQ(m.latency().max(), seconds(6));  // the cold start
  EXPECT_NEAR(m.latency().mean(), (seconds(6) + millis(1575) + seconds(1)) / 3.0, 1);  // restore 575 ms + run
  // Idle: 6 → 66 s, then 101.575 → 120 s.
  EXPECT_NEAR(r.idle_memory_gb_s, 36.0 * (60 + 18.425) / 1024.0, 1e-9);
  EXPECT_EQ(r.end_us, seconds(121));
  // A snapshot start is no cold start, but it saved one: cold − restore for it, cold for the warm one.
  EXPECT_NEAR(r.warm_benefit_s, (5 - 0.575) + 5, 1e-9);
}

// The same arrivals under ttl:10m keep the container idle from 6 s to 100 s instead.
TEST(SnapshotEngine, TtlOnTheSameArrivalsHoldsTheMemoryAndStartsWarm) {
  auto w = workload({function(0, 36, seconds(1), seconds(5))},
                    {call(0, 0, seconds(1)), call(0, seconds(100), seconds(1)), call(0, seconds(120), seconds(1))});
  const SimResult r = run_simulation(w, one_node("ttl:10m", 1000, 4));
  EXPECT_EQ(r.metrics.starts(model::StartKind::kSnapshot), 0u);
  EXPECT_EQ(r.metrics.starts(model::StartKind::kWarm), 2u);
  EXPECT_NEAR(r.idle_memory_gb_s, 36.0 * (94 + 19) / 1024.0, 1e-9);
}

// A function whose cold start (400 ms) is cheaper than a restore (575 ms) is kept like ttl:10m.
TEST(SnapshotEngine, AFunctionCheaperToColdStartIsKeptWarmInstead) {
  auto w = workload({function(0, 36, seconds(1), millis(400))},
                    {call(0, 0, seconds(1)), call(0, seconds(100), seconds(1))});
  const SimResult r = run_simulation(w, one_node("snapshot-and-release", 1000, 4));
  EXPECT_EQ(r.metrics.cold_starts(), 1u);
  EXPECT_EQ(r.metrics.starts(model::StartKind::kWarm), 1u);
  EXPECT_EQ(r.metrics.starts(model::StartKind::kSnapshot), 0u);
}

}  // namespace
}  // namespace hearth::sim
