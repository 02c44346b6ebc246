// Hand-worked cases of the metrics Sophon's evaluation reports (Chapter 4 of seed 001, §4.6.1):
// peak 10-second throughput, the mean delay of cold starts, and active-memory balance sampled every second.
#include "sim/metrics.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <vector>

#include "sim/engine.h"
#include "tests/sim/fixed_workload.h"

namespace hearth::sim {
namespace {

using model::millis;
using model::seconds;
using namespace testing;

TEST(Metrics, PeakTenSecondThroughputIsTheBusiestAlignedWindow) {
  Metrics m(1, model::kMicrosPerMinute);
  // [0, 10 s): 3 completions; [10 s, 20 s): 2; [20 s, 30 s): 0; [30 s, 40 s): 1.
  for (model::Micros at : {seconds(1), seconds(2), millis(9999), seconds(10), seconds(15), seconds(35)})
    m.record_completion(at);
  EXPECT_DOUBLE_EQ(m.max_throughput_10s(), 0.3);  // 3 completions / 10 s
  ASSERT_EQ(m.completed_per_10s().size(), 4u);
  EXPECT_EQ(m.completed_per_10s()[1], 2u);
  EXPECT_EQ(m.completed_per_10s()[2], 0u);
}

// The series and the 10-second windows remember the last interval asked (most instants come in order):
// instants out of order, repeated, negative or far apart land where the division puts them.
RC_GTEST_PROP(MetricsProperty, SeriesAndWindowsCountEveryInstantWhereItBelongs, ()) {
  constexpr model::Micros kInterval = model::kMicrosPerMinute;
  Metrics m(1, kInterval);
  std::vector<std::uint64_t> started, completed, windows;
  const auto grow = [](std::vector<std::uint64_t>& v, std::size_t i) {
    if (v.size() <= i) v.resize(i + 1, 0);
    ++v[i];
  };
  const auto index = [](model::Micros at, model::Micros width) {
    return static_cast<std::size_t>(std::max<model::Micros>(at, 0) / width);
  };
  model::Micros at = 0;
  const auto steps = *rc::gen::inRange(1, 300);
  for (int i = 0; i < steps; ++i) {
    at = *rc::gen::weightedOneOf<model::Micros>(
        {{6, rc::gen::just(at)},
         {6, rc::gen::inRange<model::Micros>(at, at + seconds(30))},
         {2, rc::gen::inRange<model::Micros>(-seconds(30), seconds(600))}});
    if (*rc::gen::arbitrary<bool>()) {
      m.record_completion(at);
      grow(completed, index(at, kInterval));
      grow(windows, index(at, seconds(10)));
    } else {
      const model::Invocation inv{static_cast<model::InvocationId>(i), 0, std::max<model::Micros>(at, 0), millis(5)};
      m.record_start(inv, model::StartKind::kWarm, at, 0);
      grow(started, index(at, kInterval));
    }
  }
  const std::vector<SeriesPoint>& series = m.series();
  RC_ASSERT(series.size() == std::max(started.size(), completed.size()));
  for (std::size_t k = 0; k < series.size(); ++k) {
    RC_ASSERT(series[k].start_us == static_cast<model::Micros>(k) * kInterval);
    RC_ASSERT(series[k].started == (k < started.size() ? started[k] : 0));
    RC_ASSERT(series[k].completed == (k < completed.size() ? completed[k] : 0));
  }
  RC_ASSERT(m.completed_per_10s().size() == windows.size());
  for (std::size_t k = 0; k < windows.size(); ++k) RC_ASSERT(m.completed_per_10s()[k] == windows[k]);
}

TEST(Metrics, ColdStartDelayAveragesOnlyColdStartUps) {
  Metrics m(1, model::kMicrosPerMinute);
  EXPECT_EQ(m.mean_cold_start_delay_us(), 0.0);  // no cold start yet
  const model::Invocation inv = call(0, 0, seconds(1));
  m.record_start(inv, model::StartKind::kCold, 0, millis(400));
  m.record_start(inv, model::StartKind::kWarm, 0, millis(50));  // a resume: not a cold start
  m.record_start(inv, model::StartKind::kCold, 0, millis(700));
  EXPECT_DOUBLE_EQ(m.mean_cold_start_delay_us(), static_cast<double>(millis(550)));
}

// Two nodes of 1,000 MB. At 0.5 s f0 (200 MB, cold 400 ms, runs 2.5 s) and f1 (400 MB, cold 600 ms, runs
// 1.5 s) arrive; max-memory puts them on different nodes. Active (busy) on one node: 200 MB over
// [0.5 s, 3.4 s); on the other 400 MB over [0.5 s, 2.6 s). The trace spans 4 s: samples at 0..4 s give
// fractions (0, 0), (.2, .4), (.2, .4), (.2, 0), (0, 0): means 0, .3, .3, .1, 0 and std-devs 0, .1, .1, .1, 0.
TEST(Metrics, ActiveMemoryBalanceOfATwoNodeRun) {
  auto w = workload({function(0, 200, seconds(1), millis(400)), function(1, 400, seconds(1), millis(600))},
                    {call(0, millis(500), millis(2500)), call(1, millis(500), millis(1500))}, seconds(4));
  SimConfig c;
  c.nodes = 2;
  c.node_memory_mb = 1000;
  c.node_cores = 4;
  c.placement = "max-memory";
  c.keepalive = "ttl:10m";  // the containers stay, idle: idle memory is not active
  c.prewarm = "none";
  c.check_invariants = true;
  const SimResult r = run_simulation(w, c);
  const Metrics& m = r.metrics;
  ASSERT_EQ(m.completed(), 2u);
  EXPECT_EQ(m.active_memory_samples(), 5u);
  EXPECT_NEAR(m.mean_active_memory_fraction(), (0 + 0.3 + 0.3 + 0.1 + 0) / 5, 1e-12);
  EXPECT_NEAR(m.mean_active_memory_balance(), (0 + 0.1 + 0.1 + 0.1 + 0) / 5, 1e-12);
  EXPECT_NEAR(m.mean_cold_start_delay_us(), static_cast<double>(millis(500)), 1e-6);  // (400 + 600) / 2
  // The per-minute balance of used memory (idle included) differs: it is sampled at 0 s only.
  EXPECT_EQ(r.mean_memory_balance, 0.0);
}

}  // namespace
}  // namespace hearth::sim
