// The replay schedule (trace/replay_plan.h) and the scaling it is built from (trace/workload_scaling.h):
// hand-worked cases on a three-minute Azure 2019 sample, plus properties of the scaling.
#include "trace/replay_plan.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <stdexcept>

#include "tests/trace/temp_dir.h"
#include "trace/azure2019_reader.h"
#include "trace/window_sampler.h"
#include "trace/workload_scaling.h"

namespace hearth::trace {
namespace {

using hearth::testing::TempDir;

// Per-minute counts (minutes 10, 11, 12): f1 1,0,3; f2 0,2,0; f3 1,0,0. Average 100 / 20 / 5 ms,
// memory 128.4 / 64 / 300 MB.
void write_sample(const TempDir& d) {
  d.write("invocations.csv",
          "HashOwner,HashApp,HashFunction,Trigger,10,11,12\n"
          "o1,a1,f1,http,1,0,3\n"
          "o1,a1,f2,timer,0,2,0\n"
          "o2,a2,f3,queue,1,0,0\n");
  d.write("durations.csv",
          "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,"
          "percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,"
          "percentile_Average_100\n"
          "o1,a1,f1,100,5,10,1000,10,20,50,100,200,900,1000\n"
          "o1,a1,f2,20,5,10,50,10,10,20,20,30,40,50\n"
          "o2,a2,f3,5,5,1,8,1,1,5,5,6,8,8\n");
  d.write("memory.csv", "HashFunction,HashOwner,HashApp,SampleCount,AverageAllocatedMb\nf1,o1,a1,3,128.4\n"
                        "f2,o1,a1,3,64\nf3,o2,a2,3,300\n");
}

ReplayLimits wide_limits() { return ReplayLimits{.max_invocations = 100, .min_memory_mb = 1, .max_memory_mb = 2048}; }

TEST(ReplayPlan, InvocationsAtTheirMinuteSpreadEvenly) {
  TempDir d;
  write_sample(d);
  Workload w = load_azure2019(d.str(), TraceOptions{});
  const ReplayPlan plan = plan_replay(w, wide_limits());
  ASSERT_EQ(plan.invocations.size(), 7u);
  // Minute 0: f1 and f3 at +0; minute 1: f2 at +0 and +30 s; minute 2: f1 at +0, +20 s, +40 s.
  const model::Micros want[] = {0, 0, 60'000'000, 90'000'000, 120'000'000, 140'000'000, 160'000'000};
  const model::FunctionId fn[] = {0, 2, 1, 1, 0, 0, 0};
  for (std::size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(plan.invocations[i].arrival_us, want[i]) << i;
    EXPECT_EQ(plan.invocations[i].function, fn[i]) << i;
  }
  EXPECT_EQ(plan.span_us, 160'000'000);
  EXPECT_EQ(plan.max_exec_us, 100'000);
  EXPECT_EQ(plan.function_max_exec_us, (std::vector<model::Micros>{100'000, 20'000, 5'000}));
  EXPECT_EQ(plan.used_functions, 3u);
}

TEST(ReplayPlan, AWindowStartsAtZeroAndKeepsOnlyItsMinutes) {
  TempDir d;
  write_sample(d);
  Workload w = load_azure2019(d.str(), TraceOptions{});
  sample_window(w, WindowOptions{.start_minute = 1, .minutes = 1});
  const ReplayPlan plan = plan_replay(w, wide_limits());
  ASSERT_EQ(plan.invocations.size(), 2u);  // f2 twice, at +0 and +30 s of the window
  EXPECT_EQ(plan.invocations[0].arrival_us, 0);
  EXPECT_EQ(plan.invocations[1].arrival_us, 30'000'000);
  EXPECT_EQ(plan.used_functions, 1u);
  EXPECT_EQ(plan.function_used, (std::vector<bool>{false, true, false}));
}

TEST(ReplayPlan, ScalingShrinksRunTimesAndMemoryButNotArrivals) {
  TempDir d;
  write_sample(d);
  Workload w = load_azure2019(d.str(), TraceOptions{});
  scale_workload(w, ScaleOptions{.time_scale = 0.5, .max_exec_us = 30'000, .memory_scale = 0.25, .min_memory_mb = 32,
                                 .max_memory_mb = 64});
  // Memory: 128 (128.4 rounded by the reader) / 4 = 32; 64 / 4 = 16 -> 32 (floor); 300 / 4 = 75 -> 64 (cap).
  EXPECT_EQ(w.functions[0].memory_mb, 32);
  EXPECT_EQ(w.functions[1].memory_mb, 32);
  EXPECT_EQ(w.functions[2].memory_mb, 64);
  // Average 100 ms -> 50 ms -> capped at 30 ms; 20 -> 10; 5 -> 2.5 ms.
  EXPECT_EQ(w.functions[0].warm_us, 30'000);
  EXPECT_EQ(w.functions[1].warm_us, 10'000);
  EXPECT_EQ(w.functions[0].cold_start_us, 450'000);  // (Maximum − Average) × 0.5, not capped
  EXPECT_NE(w.description.find("scaled: time x0.5 capped at 30 ms, memory x0.25 at least 32 MB at most 64 MB"),
            std::string::npos)
      << w.description;
  const ReplayPlan plan = plan_replay(w, ReplayLimits{});
  ASSERT_EQ(plan.invocations.size(), 7u);
  EXPECT_EQ(plan.invocations[0].exec_us, 30'000);
  EXPECT_EQ(plan.invocations[1].exec_us, 2'500);
  EXPECT_EQ(plan.invocations[2].exec_us, 10'000);
  EXPECT_EQ(plan.invocations[6].arrival_us, 160'000'000);
  EXPECT_EQ(plan.max_exec_us, 30'000);
}

TEST(ReplayPlan, RefusesWhatCannotBeReplayed) {
  TempDir d;
  write_sample(d);
  {
    Workload w = load_azure2019(d.str(), TraceOptions{});
    try {
      plan_replay(w, ReplayLimits{.max_invocations = 6});
      FAIL() << "7 invocations accepted under a limit of 6";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("more than 6 invocations"), std::string::npos) << e.what();
    }
  }
  {
    Workload w = load_azure2019(d.str(), TraceOptions{});
    try {
      plan_replay(w, ReplayLimits{.max_invocations = 100, .min_memory_mb = 32, .max_memory_mb = 256});
      FAIL() << "f3's 300 MB accepted under a 256 MB limit";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("function 'f3' needs 300 MB"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("--max-memory-mb"), std::string::npos) << e.what();
    }
  }
  {
    Workload w = load_azure2019(d.str(), TraceOptions{});
    EXPECT_NO_THROW(plan_replay(w, ReplayLimits{.max_invocations = 7, .min_memory_mb = 32, .max_memory_mb = 300}));
  }
  {
    TempDir empty;
    write_sample(empty);
    empty.write("invocations.csv", "HashOwner,HashApp,HashFunction,Trigger,10\no1,a1,f1,http,0\n");
    Workload w = load_azure2019(empty.str(), TraceOptions{});
    EXPECT_THROW(plan_replay(w, wide_limits()), std::invalid_argument);
  }
}

TEST(WorkloadScaling, BadFactorsAreNamed) {
  auto message = [](const ScaleOptions& o) {
    try {
      validate(o);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(message({.time_scale = 0}).find("--time-scale"), std::string::npos);
  EXPECT_NE(message({.time_scale = -1}).find("--time-scale"), std::string::npos);
  EXPECT_NE(message({.memory_scale = 0}).find("--memory-scale"), std::string::npos);
  EXPECT_NE(message({.max_exec_us = -1}).find("--max-exec-ms"), std::string::npos);
  EXPECT_NE(message({.min_memory_mb = 64, .max_memory_mb = 32}).find("below --min-memory-mb"), std::string::npos);
  EXPECT_EQ(message({}), "accepted");
  EXPECT_TRUE(ScaleOptions{}.identity());
}

TEST(WorkloadScaling, HandWorkedValues) {
  const ScaleOptions o{.time_scale = 0.1, .max_exec_us = 0, .memory_scale = 0.3};
  EXPECT_EQ(scale_exec(1'234'567, o), 123'457);  // rounded to the nearest microsecond
  EXPECT_EQ(scale_memory(100, o), 30);           // exact products are not rounded up
  EXPECT_EQ(scale_memory(101, o), 31);           // 30.3 -> 31
  EXPECT_EQ(scale_memory(1, o), 1);              // never below 1 MB
}

RC_GTEST_PROP(WorkloadScaling, MemoryStaysInItsBoundsAndKeepsOrder, ()) {
  const auto lo = *rc::gen::inRange<model::MegaBytes>(0, 512);
  const auto hi = *rc::gen::inRange<model::MegaBytes>(lo, 4096) ;
  const ScaleOptions o{.memory_scale = *rc::gen::inRange(1, 400) / 100.0, .min_memory_mb = lo, .max_memory_mb = hi};
  const auto a = *rc::gen::inRange<model::MegaBytes>(1, 100'000);
  const auto b = *rc::gen::inRange<model::MegaBytes>(a, 100'001);
  const model::MegaBytes sa = scale_memory(a, o), sb = scale_memory(b, o);
  RC_ASSERT(sa <= sb);
  RC_ASSERT(sa >= std::max<model::MegaBytes>(lo, 1));
  if (hi > 0) RC_ASSERT(sb <= hi);
}

RC_GTEST_PROP(WorkloadScaling, ExecIsScaledThenCapped, ()) {
  const auto exec = *rc::gen::inRange<model::Micros>(0, 3'600'000'000);
  const double scale = *rc::gen::inRange(1, 1000) / 100.0;
  const auto cap = *rc::gen::inRange<model::Micros>(0, 10'000'000);
  const model::Micros got = scale_exec(exec, ScaleOptions{.time_scale = scale, .max_exec_us = cap});
  if (cap > 0) RC_ASSERT(got <= cap);
  const double want = static_cast<double>(exec) * scale;
  if (cap == 0 || want <= static_cast<double>(cap)) RC_ASSERT(std::abs(static_cast<double>(got) - want) <= 0.5 + 1e-6 * want);
}

}  // namespace
}  // namespace hearth::trace
