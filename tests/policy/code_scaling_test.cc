// Code scaling (Scorpius §III-C): Eq. 8 thresholds from P_t(r|a), the baselines, and the adjustment
// "decrease all subsequent on late, increase a finite 3 on early".
#include "policy/code_scaling.h"

#include <gtest/gtest.h>

#include <vector>

namespace hearth::policy {
namespace {

using model::Trigger;

ThresholdParams params(std::int32_t codes) {
  ThresholdParams p;
  p.units_per_code = 10;
  p.codes = codes;
  p.prep_minutes = 1;
  p.p0 = 0.9;
  return p;
}

TEST(CodeScaling, BaselineArrays) {
  EXPECT_EQ(on_demand_thresholds(params(3)), (std::vector<std::int32_t>{11, 21, 31}));
  EXPECT_EQ(fixed_thresholds(params(3), 0.5), (std::vector<std::int32_t>{5, 15, 25}));
  EXPECT_THROW(fixed_thresholds(params(3), 1.5), std::invalid_argument);
}

TEST(CodeScaling, LateDecreasesAllSubsequentThresholds) {
  ThresholdArray a({8, 18, 28, 38, 48}, params(5));
  a.on_late(3);  // code 3 was late: thresholds from index 1 on drop by one unit
  EXPECT_EQ(std::vector<std::int32_t>(a.values().begin(), a.values().end()),
            (std::vector<std::int32_t>{8, 17, 27, 37, 47}));
}

TEST(CodeScaling, EarlyIncreasesThreeSubsequentThresholds) {
  ThresholdArray a({8, 18, 28, 38, 48}, params(5));
  a.on_early(2);  // code 2 was early: indices 0, 1, 2 rise by one unit, the rest stay
  EXPECT_EQ(std::vector<std::int32_t>(a.values().begin(), a.values().end()),
            (std::vector<std::int32_t>{9, 19, 29, 38, 48}));
}

TEST(CodeScaling, AdjustmentStaysWithinEachThresholdsRange) {
  // Index i ranges over [i·units, (i+1)·units + 1].
  ThresholdArray a({0, 10, 21}, params(3));
  a.on_late(2);
  EXPECT_EQ(std::vector<std::int32_t>(a.values().begin(), a.values().end()), (std::vector<std::int32_t>{0, 10, 20}));
  ThresholdArray b({11, 21, 31}, params(3));
  b.on_early(2);
  EXPECT_EQ(std::vector<std::int32_t>(b.values().begin(), b.values().end()), (std::vector<std::int32_t>{11, 21, 31}));
}

TEST(CodeScaling, CodesWanted) {
  ThresholdArray a({7, 18}, params(2));
  EXPECT_EQ(a.codes_wanted(6, 1), 1);
  EXPECT_EQ(a.codes_wanted(7, 1), 2);   // threshold 0.7 codes reached: prepare the second code
  EXPECT_EQ(a.codes_wanted(17, 2), 2);
  EXPECT_EQ(a.codes_wanted(18, 2), 3);
  EXPECT_EQ(a.codes_wanted(31, 3), 4);  // beyond the array: on demand, usage above 3 codes
  EXPECT_EQ(a.codes_wanted(30, 3), 3);
}

TEST(CodeScaling, LearnedThresholdIsTheFirstUsageWhoseGrowthRiskExceedsP0) {
  // Category http: usage 3 is followed by 3 or 6; usage 6 is followed by 15 (more than one code) in a
  // third of the cases (else by 6 or 0). Eq. 8 for b = 1 (cap 10 units): a = 0 is never followed (no
  // evidence); a = 3 gives 1·1 = 1 >= 0.9; a = 6 gives 1 · 2/3 < 0.9: the threshold is 6. Without
  // statistics (timer) it is on demand.
  DemandStats stats(40, 1);
  stats.add_series(Trigger::kHttp, std::vector<std::int32_t>{3, 3, 3, 6, 15, 6, 6, 0});
  EXPECT_DOUBLE_EQ(stats.probability(Trigger::kHttp, 1, 15, 6), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(stats.probability(Trigger::kHttp, 1, 6, 6), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(stats.probability(Trigger::kHttp, 0, 6, 6), 1.0);
  const auto th = learned_thresholds(stats, Trigger::kHttp, params(2));
  EXPECT_EQ(th[0], 6);
  EXPECT_EQ(th[1], 21);  // no usage in [10, 20] observed: on demand
  EXPECT_EQ(learned_thresholds(stats, Trigger::kTimer, params(2)), on_demand_thresholds(params(2)));
}

TEST(CodeScaling, ReplayJudgesLateAndEarly) {
  // Usage 5 then 15 units (two codes) for 3 minutes. On demand, code 2 is asked at minute 1 when it is
  // needed and ready at minute 2: late by 60 s. With threshold 5, it is asked at minute 0 and ready at
  // minute 1, exactly when needed.
  const std::vector<std::int32_t> usage = {5, 15, 15, 15};
  ThresholdArray normal(on_demand_thresholds(params(2)), params(2));
  const ScalingOutcome n = replay_scaling(usage, normal, false, 1);
  EXPECT_EQ(n.late, 1);
  EXPECT_DOUBLE_EQ(n.latency, 3600.0);
  ThresholdArray early({5, 15}, params(2));
  const ScalingOutcome e = replay_scaling(usage, early, false, 1);
  EXPECT_EQ(e.late, 0);
  EXPECT_EQ(e.exact, 1);
  // With adjustment, a late code lowers the thresholds from then on.
  ThresholdArray adj(on_demand_thresholds(params(2)), params(2));
  replay_scaling(usage, adj, true, 1);
  EXPECT_EQ(adj.values()[0], 10);
  EXPECT_EQ(adj.values()[1], 20);
}

}  // namespace
}  // namespace hearth::policy
