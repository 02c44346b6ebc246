// Latency over time and time to recover (sim/latency_timeline.h), hand-worked.
#include "sim/latency_timeline.h"

#include <gtest/gtest.h>

namespace hearth::sim {
namespace {

using model::millis;
using model::seconds;

model::Invocation arrival(model::FunctionId fn, model::Micros at) {
  model::Invocation inv;
  inv.function = fn;
  inv.arrival_us = at;
  return inv;
}

TEST(LatencyTimeline, PercentilesPerSecondOfWatchedFunctionsOnly) {
  TimelineConfig c;
  c.from_us = seconds(10);
  c.to_us = seconds(13);
  c.functions = {1};
  LatencyTimeline t(c, 3);
  for (int i = 1; i <= 100; ++i) t.record(arrival(1, seconds(10) + i), millis(i), millis(i) / 2);
  t.record(arrival(0, seconds(10)), seconds(99), 0);   // not watched
  t.record(arrival(1, seconds(9)), seconds(99), 0);    // before the window
  t.record(arrival(1, seconds(12)), millis(5), 0);
  const auto points = t.points();
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].count, 100u);
  EXPECT_EQ(points[0].p50_us, millis(51));  // nearest rank of 0.5 x 99 + 0.5
  EXPECT_EQ(points[0].p99_us, millis(99));
  EXPECT_EQ(points[0].overhead_p99_us, millis(99) / 2);
  EXPECT_EQ(points[1].count, 0u);
  EXPECT_EQ(points[2].p99_us, millis(5));
  EXPECT_EQ(t.summary(seconds(10), seconds(13)).count, 101u);
}

std::vector<TimelinePoint> overheads(std::initializer_list<model::Micros> ms) {
  std::vector<TimelinePoint> points;
  model::Micros t = 0;
  for (model::Micros v : ms) {
    TimelinePoint p;
    p.start_us = t;
    p.count = v < 0 ? 0 : 1;
    p.overhead_p99_us = p.p99_us = millis(std::max<model::Micros>(v, 0));
    points.push_back(p);
    t += seconds(1);
  }
  return points;
}

TEST(LatencyTimeline, RecoveryIsTheStartOfTheFirstHeldRunUnderTheThreshold) {
  // Burst at 1 s: 5000 ms, 3000, 50, 400 (relapse), 50, -(empty), 60, 70 → with hold 3, recovered at 4 s.
  const auto points = overheads({10, 5000, 3000, 50, 400, 50, -1, 60, 70});
  const Recovery r = recovery(points, seconds(1), millis(100), 3);
  EXPECT_TRUE(r.recovered);
  EXPECT_EQ(r.recovered_after_us, seconds(4));
  EXPECT_EQ(r.peak_p99_us, millis(5000));
  EXPECT_FALSE(recovery(points, seconds(1), millis(100), 4).recovered);  // only 3 non-empty in a row
  EXPECT_EQ(recovery(overheads({10, 20, 30}), 0, millis(100), 2).recovered_after_us, 0);  // never degraded
}

}  // namespace
}  // namespace hearth::sim
