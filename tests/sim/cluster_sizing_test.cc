#include "sim/cluster_sizing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <vector>

namespace hearth::sim {
namespace {

// A result with `warmup_cold` cold of 100 starts in minute 0 and, from minute 1 on, 1,000 starts of
// which `cold` are cold; as many evictions as cold starts (memory could explain every one of them).
SimResult result_with(std::uint64_t warmup_cold, std::uint64_t cold) {
  SimResult r;
  r.evictions = warmup_cold + cold;
  r.metrics = Metrics(1, model::kMicrosPerMinute);
  model::Invocation inv;
  for (int i = 0; i < 100; ++i) {
    inv.arrival_us = i;
    r.metrics.record_start(inv, i < static_cast<int>(warmup_cold) ? model::StartKind::kCold : model::StartKind::kWarm,
                           i, 0);
  }
  for (int i = 0; i < 1000; ++i) {
    inv.arrival_us = model::kMicrosPerMinute + i;
    r.metrics.record_start(inv, i < static_cast<int>(cold) ? model::StartKind::kCold : model::StartKind::kWarm,
                           inv.arrival_us, 0);
  }
  return r;
}

TEST(ClusterSizing, SettledRatioSkipsTheWarmUp) {
  const SimResult r = result_with(100, 25);
  std::uint64_t started = 0;
  EXPECT_DOUBLE_EQ(settled_cold_ratio(r, model::kMicrosPerMinute, &started), 0.025);
  EXPECT_EQ(started, 1000u);
  EXPECT_DOUBLE_EQ(settled_cold_ratio(r, 0, &started), 125.0 / 1100.0);
  EXPECT_THROW(settled_cold_ratio(r, 5 * model::kMicrosPerMinute), std::invalid_argument);
}

// Cold starts fall with the node count (n nodes: 1000/n, rounded down, cold of 1000 after the warm-up, all
// cold before): a 1 % target (10 cold) needs 91 nodes (1000/90 = 11). Every `jobs` finds exactly 91, and
// shows 90 failing.
TEST(ClusterSizing, SmallestClusterWhateverTheJobs) {
  for (unsigned jobs : {1u, 2u, 3u, 5u}) {
    std::atomic<int> sims{0};
    SizingGoal goal;
    goal.max_cold_ratio = 0.01;
    goal.warmup_us = model::kMicrosPerMinute;
    goal.jobs = jobs;
    const SizingResult found = find_smallest_cluster(
        [&](std::uint32_t n) {
          ++sims;
          return result_with(100, 1000 / n);
        },
        goal);
    ASSERT_TRUE(found.found) << jobs;
    EXPECT_EQ(found.nodes, 91u) << jobs;
    EXPECT_EQ(static_cast<int>(found.steps.size()), sims.load());
    bool saw_90 = false;
    for (const SizingStep& s : found.steps) {
      EXPECT_EQ(s.settles, 1000 / s.nodes <= 10) << s.nodes;
      saw_90 = saw_90 || (s.nodes == 90 && !s.settles);
    }
    EXPECT_TRUE(saw_90) << jobs;
    EXPECT_LE(sims.load(), 40) << jobs;  // logarithmic, not a scan
  }
}

TEST(ClusterSizing, OneNodeAndNoneAndBadGoals) {
  SizingGoal goal;
  goal.warmup_us = model::kMicrosPerMinute;
  EXPECT_EQ(find_smallest_cluster([](std::uint32_t) { return result_with(100, 0); }, goal).nodes, 1u);
  goal.max_nodes = 64;
  const SizingResult none = find_smallest_cluster([](std::uint32_t) { return result_with(0, 500); }, goal);
  EXPECT_FALSE(none.found);
  EXPECT_EQ(none.nodes, 64u);
  EXPECT_EQ(none.steps.size(), 7u);  // 1, 2, 4, ..., 64
  goal.max_cold_ratio = 1.5;
  EXPECT_THROW(find_smallest_cluster([](std::uint32_t) { return result_with(0, 0); }, goal), std::invalid_argument);
}

// With the doubling started at 16 (start_nodes 20) the search simulates none of 1-8 and meets the same
// interval, so the same answer (91) with fewer simulations; a start that settles (start_nodes 128) is a
// wrong bound: the search falls back to the doubling from 1 and still answers 91.
TEST(ClusterSizing, StartNodesSkipsSmallCountsWithTheSameAnswer) {
  for (unsigned jobs : {1u, 2u}) {
    for (std::uint32_t start : {20u, 128u}) {
      SizingGoal goal;
      goal.warmup_us = model::kMicrosPerMinute;
      goal.jobs = jobs;
      goal.start_nodes = start;
      const SizingResult found = find_smallest_cluster([](std::uint32_t n) { return result_with(100, 1000 / n); }, goal);
      ASSERT_TRUE(found.found);
      EXPECT_EQ(found.nodes, 91u) << jobs << " " << start;
      const bool tried_small = std::any_of(found.steps.begin(), found.steps.end(),
                                           [](const SizingStep& s) { return s.nodes < 16; });
      EXPECT_EQ(tried_small, start == 128u) << jobs << " " << start;
    }
  }
}

// Probes whose cold starts after the warm-up exceed the target even with every eviction taken off
// (5 % of 1,000 cold, the target 1 %: 10) stop the search at the second such doubling probe (saturated),
// naming its coldest function; while evictions could explain them, it doubles on.
TEST(ClusterSizing, StopsWhereEvictionsCannotExplainTheColdStarts) {
  SizingGoal goal;
  goal.warmup_us = model::kMicrosPerMinute;
  goal.max_nodes = 1024;
  const auto run = [](std::uint64_t cold, std::uint64_t evictions) {
    SimResult r = result_with(100, cold);
    r.evictions = evictions;
    return r;
  };
  // 50 cold after the warm-up; 45 evictions below 32 nodes (50 - 45 = 5 <= 10), 30 from 32 on (20 > 10).
  SizingResult found = find_smallest_cluster([&](std::uint32_t n) { return run(50, n < 32 ? 45 : 30); }, goal);
  EXPECT_FALSE(found.found);
  EXPECT_TRUE(found.saturated);
  EXPECT_EQ(found.nodes, 64u);
  ASSERT_EQ(found.steps.size(), 7u);  // 1, 2, ..., 64
  EXPECT_EQ(found.steps.back().settled_cold, 50u);
  EXPECT_EQ(found.steps.back().coldest, 0u);
  EXPECT_EQ(found.steps.back().coldest_cold_starts, 150u);  // 100 in the warm-up, 50 after
  EXPECT_EQ(found.steps.back().cold_starts, 150u);
  // One such probe alone (32 nodes) between explained ones does not stop it.
  found = find_smallest_cluster([&](std::uint32_t n) { return run(50, n == 32 ? 0 : 45); }, goal);
  EXPECT_FALSE(found.saturated);
  EXPECT_EQ(found.nodes, 1024u);
  // Evictions everywhere enough to explain them: doubles on to max_nodes.
  found = find_smallest_cluster([&](std::uint32_t) { return run(50, 40); }, goal);
  EXPECT_FALSE(found.saturated);
  EXPECT_EQ(found.nodes, 1024u);
  // Switched off: doubles on too.
  goal.stop_when_saturated = false;
  found = find_smallest_cluster([&](std::uint32_t) { return run(50, 0); }, goal);
  EXPECT_FALSE(found.saturated);
  EXPECT_EQ(found.nodes, 1024u);
}

}  // namespace
}  // namespace hearth::sim
