// A live replay's records as a SimResult (sim/recorded_run.h), and the costs measured from them:
// hand-worked cases.
#include "sim/recorded_run.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

namespace hearth::sim {
namespace {

using model::RecordedInvocation;
using model::StartKind;

RecordedInvocation rec(model::FunctionId f, model::Micros scheduled, model::Micros sent, model::Micros latency,
                       StartKind kind, model::Micros wait, model::Micros init, model::Micros run) {
  return RecordedInvocation{f, scheduled, run, sent, latency, kind, wait, init, run, true};
}

TEST(RecordedRun, LatencyIsTheClientsAndStartKindsTheRecords) {
  RecordedRunInput in;
  in.functions = 2;
  // f0 cold: 100 ms init, 50 ms run, client saw 160 ms (10 ms elsewhere); then two warm runs.
  in.records.push_back(rec(0, 0, 1'000, 160'000, StartKind::kCold, 2'000, 100'000, 50'000));
  in.records.push_back(rec(0, 1'000'000, 1'000'500, 52'000, StartKind::kWarm, 500, 0, 50'000));
  in.records.push_back(rec(1, 2'000'000, 2'000'200, 31'000, StartKind::kPrewarm, 0, 20'000, 10'000));
  in.records.push_back(rec(0, 3'000'000, 3'000'000, 50'500, StartKind::kWarm, 0, 0, 50'000));
  in.unsent = {1};
  in.failed = {0, 1};
  in.wall_seconds = 3.5;
  const SimResult r = recorded_result(in);
  const Metrics& m = r.metrics;
  EXPECT_EQ(m.invocations(), 7u);
  EXPECT_EQ(m.started(), 4u);
  EXPECT_EQ(m.cold_starts(), 1u);
  EXPECT_EQ(m.starts(StartKind::kWarm), 2u);
  EXPECT_EQ(m.starts(StartKind::kPrewarm), 1u);
  EXPECT_EQ(m.dropped(model::DropReason::kQueueFull), 1u);
  EXPECT_EQ(m.dropped(model::DropReason::kNoNode), 2u);
  EXPECT_EQ(m.completed(), 4u);
  EXPECT_EQ(m.latency().max(), 160'000);
  EXPECT_DOUBLE_EQ(m.latency().mean(), (160'000 + 52'000 + 31'000 + 50'500) / 4.0);
  // Wait = client latency − init − run: 10 ms, 2 ms, 1 ms, 0.5 ms.
  EXPECT_EQ(m.wait().max(), 10'000);
  EXPECT_DOUBLE_EQ(m.wait().mean(), (10'000 + 2'000 + 1'000 + 500) / 4.0);
  EXPECT_EQ(m.per_function()[0].invocations, 3u);
  EXPECT_EQ(m.per_function()[0].cold_starts, 1u);
  EXPECT_EQ(r.end_us, 3'050'500);  // the last response
  EXPECT_EQ(r.containers_created, 1u);
  EXPECT_DOUBLE_EQ(r.wall_seconds, 3.5);
}

TEST(RecordedRun, ALatencyBelowInitPlusRunHasNoWait) {
  RecordedRunInput in;
  in.functions = 1;
  in.records.push_back(rec(0, 0, 0, 40'000, StartKind::kWarm, 0, 0, 41'000));  // clocks disagree by 1 ms
  const SimResult r = recorded_result(in);
  EXPECT_EQ(r.metrics.wait().max(), 0);
  EXPECT_EQ(r.metrics.latency().max(), 41'000);
}

TEST(RecordedRun, CostsFitColdInitAgainstMemory) {
  // Cold init = 50 ms + 0.5 ms/MB exactly: 64 MB -> 82 ms, 128 MB -> 114 ms, 256 MB -> 178 ms.
  const std::vector<model::MegaBytes> memory = {64, 128, 256};
  std::vector<RecordedInvocation> records = {
      rec(0, 0, 100, 90'000, StartKind::kCold, 1'000, 82'000, 5'000),
      rec(1, 0, 200, 120'000, StartKind::kCold, 0, 114'000, 5'000),
      rec(2, 0, 300, 190'000, StartKind::kCold, 0, 178'000, 5'000),
      // Warm: client latency − wait − run = 2 ms, 1 ms, 3 ms -> median 2 ms.
      rec(0, 0, 1'000, 10'000, StartKind::kWarm, 3'000, 0, 5'000),
      rec(0, 0, 400, 7'000, StartKind::kWarm, 1'000, 0, 5'000),
      rec(0, 0, 0, 8'000, StartKind::kWarm, 0, 0, 5'000),
  };
  const MeasuredCosts c = measure_costs(records, memory);
  EXPECT_EQ(c.cold_samples, 3u);
  EXPECT_EQ(c.warm_samples, 3u);
  EXPECT_NEAR(c.cold_base_ms, 50.0, 1e-9);
  EXPECT_NEAR(c.cold_per_mb_ms, 0.5, 1e-12);
  EXPECT_NEAR(c.cold_init_p50_ms, 114.0, 1e-12);
  EXPECT_NEAR(c.cold_init_mean_ms, (82.0 + 114.0 + 178.0) / 3, 1e-9);
  EXPECT_NEAR(c.warm_overhead_p50_ms, 2.0, 1e-12);
  // Send lags 0.1, 0.2, 0.3, 1.0, 0.4, 0 ms: median (nearest rank of 6) 0.3 ms, max 1 ms.
  EXPECT_NEAR(c.send_lag_p50_ms, 0.3, 1e-12);
  EXPECT_NEAR(c.send_lag_max_ms, 1.0, 1e-12);
  // Every run equals its asked-for time here.
  EXPECT_DOUBLE_EQ(c.run_over_exec_p50, 1.0);
}

TEST(RecordedRun, RunTimeAccuracyIsRunOverAskedFor) {
  auto with_exec = [](model::Micros exec, model::Micros run) {
    RecordedInvocation r = rec(0, 0, 0, run, StartKind::kWarm, 0, 0, run);
    r.exec_us = exec;
    return r;
  };
  // Ratios 1.0, 1.01, 1.02, 1.5; a 0.5 ms request is left out (timer granularity dominates it).
  const MeasuredCosts c = measure_costs({with_exec(100'000, 100'000), with_exec(100'000, 101'000),
                                         with_exec(50'000, 51'000), with_exec(2'000, 3'000), with_exec(500, 5'000)},
                                        {128});
  EXPECT_NEAR(c.run_over_exec_p50, 1.02, 1e-12);  // nearest rank of 4 at 0.5: index 2 (rounded 1.5)
  EXPECT_NEAR(c.run_over_exec_p99, 1.5, 1e-12);
}

TEST(RecordedRun, OneMemorySizeOrANegativeSlopeFallsBackToTheMean) {
  const std::vector<model::MegaBytes> memory = {64, 128};
  const MeasuredCosts same = measure_costs({rec(0, 0, 0, 0, StartKind::kCold, 0, 80'000, 0),
                                            rec(0, 0, 0, 0, StartKind::kCold, 0, 100'000, 0)}, memory);
  EXPECT_NEAR(same.cold_base_ms, 90.0, 1e-9);
  EXPECT_EQ(same.cold_per_mb_ms, 0.0);
  const MeasuredCosts falling = measure_costs({rec(0, 0, 0, 0, StartKind::kCold, 0, 100'000, 0),
                                               rec(1, 0, 0, 0, StartKind::kCold, 0, 80'000, 0)}, memory);
  EXPECT_NEAR(falling.cold_base_ms, 90.0, 1e-9);
  EXPECT_EQ(falling.cold_per_mb_ms, 0.0);
  const MeasuredCosts none = measure_costs({}, memory);
  EXPECT_EQ(none.cold_samples, 0u);
  EXPECT_EQ(none.cold_base_ms, 0.0);
}

// Any records: every one is started and completed once, with its own start kind, and its latency is the
// client's unless that is shorter than init + run.
RC_GTEST_PROP(RecordedRun, EveryRecordCountsOnceWithItsKind, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(0, 60);
  RecordedRunInput in;
  in.functions = 4;
  std::array<std::uint64_t, 3> kinds{};
  double latency_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto kind = static_cast<StartKind>(*rc::gen::inRange(0, 3));
    const auto init = *rc::gen::inRange<model::Micros>(0, 500'000);
    const auto run = *rc::gen::inRange<model::Micros>(0, 2'000'000);
    const auto latency = *rc::gen::inRange<model::Micros>(0, 3'000'000);
    const auto sent = *rc::gen::inRange<model::Micros>(0, 600'000'000);
    in.records.push_back(rec(*rc::gen::inRange(0, 4), sent, sent, latency, kind, 0, init, run));
    ++kinds[static_cast<int>(kind)];
    latency_sum += static_cast<double>(std::max(latency, init + run));
  }
  const SimResult r = recorded_result(in);
  RC_ASSERT(r.metrics.started() == n);
  RC_ASSERT(r.metrics.completed() == n);
  RC_ASSERT(r.metrics.dropped() == 0u);
  for (int k = 0; k < 3; ++k) RC_ASSERT(r.metrics.starts(static_cast<StartKind>(k)) == kinds[k]);
  if (n > 0) RC_ASSERT(std::abs(r.metrics.latency().mean() * static_cast<double>(n) - latency_sum) < 1e-3 * (latency_sum + 1));
}

}  // namespace
}  // namespace hearth::sim
