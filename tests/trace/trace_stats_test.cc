// TraceStats on hand-checked tiny traces, its bad-input errors, and malformed trace files reaching it
// through the streaming readers (file:line errors, as `hearth trace stats` reports them).
#include "trace/trace_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <stdexcept>

#include "tests/trace/temp_dir.h"
#include "trace/azure2019_reader.h"
#include "trace/azure2021_reader.h"
#include "trace/trace_error.h"

namespace hearth::trace {
namespace {

using model::kMicrosPerMinute;
using model::Trigger;

model::FunctionSpec fn(model::FunctionId id, model::AppId app, Trigger t, double exec_s, model::MegaBytes mb) {
  model::FunctionSpec f;
  f.id = id;
  f.app = app;
  f.trigger = t;
  f.warm_us = static_cast<model::Micros>(exec_s * model::kMicrosPerSecond);
  f.memory_mb = mb;
  return f;
}

// f0 (app 0, http, 0.5 s, 100 MB) at minutes 0, 1, 3: inter-arrival times 60 s and 120 s, mean 90 s, population
// stddev 30 s, CV 1/3. f1 (app 0, timer, 2 s, 100 MB) every 10 minutes from 0 to 30: CV 0. f2 (app 1, queue,
// 10 s, 300 MB) once at minute 5: no CV. Span: one day.
struct Tiny {
  std::vector<model::FunctionSpec> functions = {fn(0, 0, Trigger::kHttp, 0.5, 100), fn(1, 0, Trigger::kTimer, 2, 100),
                                                fn(2, 1, Trigger::kQueue, 10, 300)};
  std::vector<model::Invocation> batch() const {
    const std::pair<model::FunctionId, std::int64_t> arrivals[] = {{0, 0}, {1, 0}, {0, 1}, {0, 3},
                                                                   {2, 5}, {1, 10}, {1, 20}, {1, 30}};
    std::vector<model::Invocation> out;
    for (const auto& [f, minute] : arrivals) {
      model::Invocation inv;
      inv.id = out.size();
      inv.function = f;
      inv.arrival_us = minute * kMicrosPerMinute;
      out.push_back(inv);
    }
    return out;
  }
};

TEST(TraceStats, TinyTraceByHand) {
  const Tiny t;
  TraceStats acc(t.functions);
  acc.add(t.batch());
  const TraceSummary s = acc.finish(24 * model::kMicrosPerHour);
  EXPECT_EQ(s.functions, 3u);
  EXPECT_EQ(s.apps, 2u);
  EXPECT_EQ(s.invocations, 8u);
  EXPECT_EQ(s.function_daily.sorted, (std::vector<double>{1, 3, 4}));
  EXPECT_EQ(s.app_daily.sorted, (std::vector<double>{1, 7}));
  ASSERT_EQ(s.iat_cv.sorted.size(), 2u);
  EXPECT_DOUBLE_EQ(s.iat_cv.sorted[0], 0);
  EXPECT_NEAR(s.iat_cv.sorted[1], 1.0 / 3, 1e-12);
  EXPECT_EQ(s.functions_per_app.sorted, (std::vector<double>{1, 2}));
  EXPECT_EQ(s.exec_seconds.sorted, (std::vector<double>{0.5, 2, 10}));
  EXPECT_EQ(s.app_memory_mb.sorted, (std::vector<double>{200, 300}));
  EXPECT_EQ(s.triggers[static_cast<std::size_t>(Trigger::kHttp)].functions, 1u);
  EXPECT_EQ(s.triggers[static_cast<std::size_t>(Trigger::kHttp)].invocations, 3u);
  EXPECT_EQ(s.triggers[static_cast<std::size_t>(Trigger::kTimer)].invocations, 4u);
  EXPECT_EQ(s.triggers[static_cast<std::size_t>(Trigger::kQueue)].invocations, 1u);
  EXPECT_EQ(s.triggers[static_cast<std::size_t>(Trigger::kEvent)].functions, 0u);
  EXPECT_DOUBLE_EQ(s.hourly[0], 8);
  // 1,440 minutes: minute 0 holds 2, six others hold 1, the rest 0.
  ASSERT_EQ(s.minute_totals.sorted.size(), 1440u);
  EXPECT_DOUBLE_EQ(s.minute_totals.quantile(1), 2);
  EXPECT_DOUBLE_EQ(s.minute_totals.share_at_most(0), 1433.0 / 1440);
  // Quantiles interpolate between order statistics: [1, 3, 4] at 0.25 is halfway from 1 to 3.
  EXPECT_DOUBLE_EQ(s.function_daily.quantile(0.25), 2);
  EXPECT_DOUBLE_EQ(s.function_daily.quantile(0.5), 3);
  EXPECT_DOUBLE_EQ(s.function_daily.share_at_most(3), 2.0 / 3);
  EXPECT_DOUBLE_EQ(s.function_daily.mean(), 8.0 / 3);
  // The most popular half of the apps (app 0) makes 7 of the 8 invocations.
  EXPECT_DOUBLE_EQ(s.top_app_invocation_share(0.5), 7.0 / 8);
}

TEST(TraceStats, SpanAndHoursOfDay) {
  const Tiny t;
  // Half a day: every rate doubles. Trace time 0 at 23:50: minutes 0-5 fall in hour 23, 10-30 in hour 0.
  TraceStats acc(t.functions, 23 * 60 + 50);
  acc.add(t.batch());
  const TraceSummary s = acc.finish(12 * model::kMicrosPerHour);
  EXPECT_EQ(s.function_daily.sorted, (std::vector<double>{2, 6, 8}));
  EXPECT_DOUBLE_EQ(s.hourly[23], 5);
  EXPECT_DOUBLE_EQ(s.hourly[0], 3);
  // No span given: up to the last arrival (minute 30) + 1 µs.
  EXPECT_EQ(acc.finish(0).span_us, 30 * kMicrosPerMinute + 1);
}

TEST(TraceStats, EmptyTrace) {
  const Tiny t;
  const TraceSummary s = TraceStats(t.functions).finish(0);
  EXPECT_EQ(s.invocations, 0u);
  EXPECT_EQ(s.function_daily.sorted, (std::vector<double>{0, 0, 0}));
  EXPECT_TRUE(s.iat_cv.sorted.empty());
  EXPECT_EQ(s.iat_cv.quantile(0.5), 0);
  EXPECT_EQ(s.top_app_invocation_share(0.186), 0);
}

TEST(TraceStats, BadInvocationsAreErrorsNamingThem) {
  const Tiny t;
  // The error of adding the tiny batch with invocation `i` changed by `change`.
  const auto error = [&](std::size_t i, const std::function<void(model::Invocation&)>& change) -> std::string {
    std::vector<model::Invocation> batch = t.batch();
    change(batch[i]);
    TraceStats acc(t.functions);
    try {
      acc.add(batch);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no error";
  };
  // The unchanged batch is accepted (the probes below differ from it in one field).
  EXPECT_EQ(error(0, [](model::Invocation&) {}), "no error");
  EXPECT_EQ(error(3, [](model::Invocation& inv) { inv.function = 7; }), "trace stats: invocation 3 names function 7 of 3");
  EXPECT_EQ(error(2, [](model::Invocation& inv) { inv.arrival_us = -1; }),
            "trace stats: invocation 2 arrives at -1 us, before 0 us");
  EXPECT_EQ(error(7, [](model::Invocation& inv) { inv.arrival_us = (std::int64_t{1} << 20) * kMicrosPerMinute; }),
            "trace stats: invocation 7 arrives at minute 1048576, beyond the 1048576 minutes trace stats keeps "
            "per-minute totals for");
  EXPECT_THROW(TraceStats(t.functions, 1440), std::invalid_argument);
  EXPECT_THROW(TraceStats(t.functions, -1), std::invalid_argument);
}

TEST(TraceStats, CdfPointsAreBoundedAndMonotone) {
  Distribution d;
  for (int i = 1; i <= 5000; ++i) d.sorted.push_back(i);
  const auto pts = cdf_points(d, 1000);
  ASSERT_EQ(pts.size(), 1000u);
  EXPECT_EQ(pts.front(), (std::pair<double, double>{1, 1.0 / 5000}));
  EXPECT_EQ(pts.back(), (std::pair<double, double>{5000, 1}));
  for (std::size_t i = 1; i < pts.size(); ++i) EXPECT_GT(pts[i].second, pts[i - 1].second);
  EXPECT_EQ(cdf_points(Distribution{{2, 4}}, 1000).size(), 2u);
  EXPECT_TRUE(cdf_points(Distribution{}, 1000).empty());
}

// Summarise a whole workload as `hearth trace stats` does.
TraceSummary summarise(Workload& w) {
  TraceStats acc(w.functions);
  std::vector<model::Invocation> batch;
  while (w.invocations->next_batch(batch)) acc.add(batch);
  return acc.finish(w.invocations->span_us());
}

TEST(TraceStats, MalformedTraceFilesFailWithFileAndLine) {
  hearth::testing::TempDir d;
  d.write("invocations.csv", "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,2\no,a,g,http,1,-4\n");
  d.write("durations.csv",
          "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,"
          "percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,"
          "percentile_Average_100\no,a,f,10,1,1,20,1,1,1,1,1,1,1\no,a,g,10,1,1,20,1,1,1,1,1,1,1\n");
  d.write("memory.csv", "HashOwner,HashApp,SampleCount,AverageAllocatedMb\no,a,1,128\n");
  try {
    Workload w = load_azure2019(d.str(), TraceOptions{});
    summarise(w);
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("invocations.csv:3"), std::string::npos) << e.what();
  }
  d.write("a2021.csv", "app,func,end_timestamp,duration\na,f,1.5,0.5\na,f,2.5,x\n");
  try {
    Workload w = load_azure2021((d.path() / "a2021.csv").string(), TraceOptions{});
    summarise(w);
    FAIL() << "no error";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("a2021.csv:3"), std::string::npos) << e.what();
  }
}

TEST(TraceStats, SharedSampleSummary) {
  // azure2019-500 (read, never copied): 500 functions, 3,037,902 invocations over 8 hours.
  Workload w = load_azure2019(std::string(HEARTH_SHARED_DIR) + "/traces/azure2019-500", TraceOptions{});
  const TraceSummary s = summarise(w);
  EXPECT_EQ(s.functions, 500u);
  EXPECT_EQ(s.invocations, 3'037'902u);
  EXPECT_EQ(s.span_us, 480 * kMicrosPerMinute);
  std::uint64_t by_trigger = 0, functions = 0;
  for (const TriggerRow& r : s.triggers) {
    by_trigger += r.invocations;
    functions += r.functions;
  }
  EXPECT_EQ(by_trigger, s.invocations);
  EXPECT_EQ(functions, 500u);
  // Counted with a script from invocations.csv's Trigger column: 247 timer and 139 http functions.
  EXPECT_EQ(s.triggers[static_cast<std::size_t>(Trigger::kTimer)].functions, 247u);
  EXPECT_EQ(s.triggers[static_cast<std::size_t>(Trigger::kHttp)].functions, 139u);
}

}  // namespace
}  // namespace hearth::trace
