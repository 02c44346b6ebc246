#include "sim/cluster_sizing.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace hearth::sim {
namespace {

// A result with `warmup_cold` cold of 100 starts in minute 0 and, from minute 1 on, 1,000 starts of
// which `cold` are cold.
SimResult result_with(std::uint64_t warmup_cold, std::uint64_t cold) {
  SimResult r;
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

}  // namespace
}  // namespace hearth::sim
