#include "policy/function_info_table.h"

#include <gtest/gtest.h>

namespace hearth::policy {
namespace {

using model::kMicrosPerMinute;
using model::millis;
using model::seconds;
using model::StartKind;

model::FunctionSpec spec256() {
  model::FunctionSpec f;
  f.id = 0;
  f.memory_mb = 256;
  f.cold_start_us = millis(500);
  f.warm_us = millis(100);
  return f;
}

TEST(FunctionInfoTable, SeedsFromTheSpec) {
  FunctionInfoTable t;
  t.on_function_added(spec256());
  const FunctionInfo r = t.row(0, 0);
  EXPECT_DOUBLE_EQ(r.cpu_cores, 0.5);  // 256 MB / 512 MB per core
  EXPECT_EQ(r.memory_mb, 256);
  EXPECT_EQ(r.io_share, 0);
  EXPECT_EQ(r.init_us, millis(500));
  EXPECT_EQ(r.exec_us, millis(100));
  EXPECT_EQ(r.term_us, 0);
  EXPECT_EQ(r.freq_per_min, 0);
  EXPECT_EQ(r.since_last_arrival_us, model::kNever);
  EXPECT_EQ(t.size(), 1u);
  // A function never added reads as an empty row.
  EXPECT_EQ(t.row(7, 0).memory_mb, 0);
  // A live action's CPU limit seeds CPU in place of memory / 512 MB.
  model::FunctionSpec limited = spec256();
  limited.id = 1;
  limited.cpu_millicores = 750;
  t.on_function_added(limited);
  EXPECT_DOUBLE_EQ(t.row(1, 0).cpu_cores, 0.75);
}

TEST(FunctionInfoTable, FreqIsArrivalsOverTheLastTenMinutesAndClockTheTimeSinceTheLast) {
  FunctionInfoTable t;
  t.on_function_added(spec256());
  // Minute 0: two arrivals, minute 1: one, minute 2: one.
  for (model::Micros at : {seconds(0), seconds(30), seconds(70), seconds(125)}) t.on_arrival(0, at);
  EXPECT_DOUBLE_EQ(t.row(0, seconds(150)).freq_per_min, 4.0 / 10);
  EXPECT_EQ(t.row(0, seconds(150)).since_last_arrival_us, seconds(25));
  // Minute 9: the window is minutes 0..9, still all four.
  EXPECT_DOUBLE_EQ(t.row(0, 9 * kMicrosPerMinute + seconds(59)).freq_per_min, 0.4);
  // Minute 10: minutes 1..10, minute 0's two have left.
  EXPECT_DOUBLE_EQ(t.row(0, 10 * kMicrosPerMinute).freq_per_min, 0.2);
  // Minute 12: minutes 3..12, none left.
  EXPECT_DOUBLE_EQ(t.row(0, 12 * kMicrosPerMinute).freq_per_min, 0);
  EXPECT_EQ(t.row(0, 12 * kMicrosPerMinute).since_last_arrival_us, 12 * kMicrosPerMinute - seconds(125));
  // An arrival in minute 12: the ring drops minutes 2 and earlier; minute 12 holds one.
  t.on_arrival(0, 12 * kMicrosPerMinute + seconds(1));
  EXPECT_DOUBLE_EQ(t.row(0, 12 * kMicrosPerMinute + seconds(5)).freq_per_min, 0.1);
  // Two in minute 13 and one in minute 30: at minute 30 only the last counts.
  t.on_arrival(0, 13 * kMicrosPerMinute);
  t.on_arrival(0, 13 * kMicrosPerMinute + 1);
  EXPECT_DOUBLE_EQ(t.row(0, 13 * kMicrosPerMinute + 2).freq_per_min, 0.3);
  t.on_arrival(0, 30 * kMicrosPerMinute);
  EXPECT_DOUBLE_EQ(t.row(0, 30 * kMicrosPerMinute).freq_per_min, 0.1);
  EXPECT_EQ(t.row(0, 30 * kMicrosPerMinute).since_last_arrival_us, 0);
}

TEST(FunctionInfoTable, RunningMeansReplaceTheSeedsWithMeasurements) {
  FunctionInfoTable t;
  t.on_function_added(spec256());
  // Cold: start-up 300 ms, exec 200 ms → init 300 (replaces the 500 seed), exec 200.
  t.on_completed(0, StartKind::kCold, millis(300), millis(200), seconds(1));
  EXPECT_EQ(t.row(0, 0).init_us, millis(300));
  EXPECT_EQ(t.row(0, 0).exec_us, millis(200));
  // Warm: exec 400 → exec (200 + 400) / 2 = 300; init untouched by a warm or prewarmed start.
  t.on_completed(0, StartKind::kWarm, 0, millis(400), seconds(2));
  t.on_completed(0, StartKind::kPrewarm, millis(50), millis(300), seconds(3));
  EXPECT_EQ(t.row(0, 0).init_us, millis(300));
  EXPECT_EQ(t.row(0, 0).exec_us, millis(300));  // (200 + 400 + 300) / 3
  // Cold again with start-up 500 → init (300 + 500) / 2 = 400.
  t.on_completed(0, StartKind::kCold, millis(500), millis(700), seconds(4));
  EXPECT_EQ(t.row(0, 0).init_us, millis(400));
  EXPECT_EQ(t.row(0, 0).exec_us, millis(400));  // (200 + 400 + 300 + 700) / 4
  // Terminations 50 and 150 ms → term 100 ms.
  t.on_terminated(0, millis(50));
  t.on_terminated(0, millis(150));
  EXPECT_EQ(t.row(0, 0).term_us, millis(100));
  // Input sizes 1000 and 3000 bytes → 2000.
  t.on_arrival(0, seconds(5), 1000);
  t.on_arrival(0, seconds(6), 3000);
  EXPECT_DOUBLE_EQ(t.row(0, seconds(6)).input_bytes, 2000);
}

TEST(FunctionInfoTable, MeasuredResourcesOverwriteTheAllocation) {
  FunctionInfoTable t;
  t.on_function_added(spec256());
  t.on_resources(0, 0.25, 100, 0.5);
  FunctionInfo r = t.row(0, 0);
  EXPECT_DOUBLE_EQ(r.cpu_cores, 0.25);
  EXPECT_EQ(r.memory_mb, 100);
  EXPECT_DOUBLE_EQ(r.io_share, 0.5);
  t.on_resources(0, 0.75, 200, 0.1);
  r = t.row(0, 0);
  EXPECT_DOUBLE_EQ(r.cpu_cores, 0.5);  // (0.25 + 0.75) / 2
  EXPECT_EQ(r.memory_mb, 150);
  EXPECT_DOUBLE_EQ(r.io_share, 0.3);
  // Seeing the function again keeps its row.
  model::FunctionSpec again = spec256();
  again.memory_mb = 1024;
  t.on_function_added(again);
  EXPECT_EQ(t.row(0, 0).memory_mb, 150);
}

TEST(FunctionInfoTable, AFunctionNeverAddedGetsARowOnFirstUse) {
  FunctionInfoTable t;
  t.on_arrival(3, seconds(10));
  EXPECT_EQ(t.size(), 4u);
  EXPECT_DOUBLE_EQ(t.row(3, seconds(10)).freq_per_min, 0.1);
  EXPECT_EQ(t.row(3, seconds(12)).since_last_arrival_us, seconds(2));
  EXPECT_EQ(t.row(2, seconds(12)).since_last_arrival_us, model::kNever);
}

}  // namespace
}  // namespace hearth::policy
