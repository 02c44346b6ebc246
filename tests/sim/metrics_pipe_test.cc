// MetricsPipe: threaded, the records reach the Metrics in the order written, whatever the batch and ring
// sizes (down to one record a batch, one batch in the ring) — the same Metrics as the direct calls.
#include "sim/metrics_pipe.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "tests/sim/metrics_equal.h"

namespace hearth::sim {
namespace {

using model::seconds;
using testing::metrics_difference;

TEST(MetricsPipe, ThreadedRecordsAreFoldedByTheBarrier) {
  Metrics m(2, model::kMicrosPerMinute);
  {
    MetricsPipe pipe(m, /*threaded=*/true, /*batch=*/2, /*slots=*/2);
    const model::Invocation a{0, 1, seconds(1), seconds(2)};
    pipe.start_and_completion(a, model::StartKind::kCold, seconds(1), seconds(1), seconds(2));  // completes at 4 s
    pipe.start(model::Invocation{1, 0, seconds(70), seconds(1)}, model::StartKind::kWarm, seconds(71), 0, seconds(1));
    pipe.completion(seconds(72));
    pipe.drop(model::Invocation{2, 0, seconds(80), 0}, model::DropReason::kQueueFull);
    pipe.memory(seconds(60), 512, 256, 0.25);
    pipe.finish();
  }
  EXPECT_EQ(m.invocations(), 3u);
  EXPECT_EQ(m.started(), 2u);
  EXPECT_EQ(m.completed(), 2u);
  EXPECT_EQ(m.cold_starts(), 1u);
  EXPECT_EQ(m.dropped(model::DropReason::kQueueFull), 1u);
  EXPECT_EQ(m.latency().max(), seconds(3));  // wait 0 + start-up 1 s + run 2 s
  EXPECT_EQ(m.wait().max(), seconds(1));     // the second: arrived at 70 s, started at 71 s
  ASSERT_EQ(m.series().size(), 2u);
  EXPECT_EQ(m.series()[0].completed, 1u);  // at 4 s
  EXPECT_EQ(m.series()[1].completed, 1u);  // at 72 s
  EXPECT_EQ(m.series()[1].used_memory_mb, 512);
  EXPECT_EQ(m.per_function()[1].cold_starts, 1u);
  EXPECT_DOUBLE_EQ(m.mean_cold_start_delay_us(), static_cast<double>(seconds(1)));
}

RC_GTEST_PROP(MetricsPipeProperty, ThreadedFoldsWhatTheDirectCallsRecord, ()) {
  constexpr std::size_t kFunctions = 5;
  Metrics direct(kFunctions, model::kMicrosPerMinute), folded(kFunctions, model::kMicrosPerMinute);
  direct.set_measure_from(seconds(5));
  folded.set_measure_from(seconds(5));
  const auto batch = *rc::gen::inRange<std::size_t>(1, 9);
  const auto slots = *rc::gen::inRange<std::size_t>(1, 4);
  MetricsPipe d(direct, false), t(folded, true, batch, slots);
  const int n = *rc::gen::inRange(0, 400);
  model::Micros now = 0;
  for (int i = 0; i < n; ++i) {
    now += *rc::gen::inRange<model::Micros>(0, seconds(20));
    const model::Invocation inv{static_cast<model::InvocationId>(i),
                                static_cast<model::FunctionId>(*rc::gen::inRange<std::size_t>(0, kFunctions)),
                                now - *rc::gen::inRange<model::Micros>(0, seconds(10)),
                                *rc::gen::inRange<model::Micros>(0, seconds(3))};
    const auto kind = static_cast<model::StartKind>(*rc::gen::inRange(0, model::kStartKindCount));
    const model::Micros startup = *rc::gen::inRange<model::Micros>(0, seconds(2));
    const model::Micros run = inv.exec_us + *rc::gen::inRange<model::Micros>(0, seconds(1));
    const double x = *rc::gen::inRange(0, 100000) / 7.0, y = *rc::gen::inRange(0, 100000) / 3.0;
    const int op = *rc::gen::inRange(0, 6);
    for (MetricsPipe* p : {&d, &t}) {
      switch (op) {
        case 0: p->start(inv, kind, now, startup, run); break;
        case 1: p->start_and_completion(inv, kind, now, startup, run); break;
        case 2: p->completion(now); break;
        case 3: p->drop(inv, static_cast<model::DropReason>(inv.function % model::kDropReasonCount)); break;
        case 4: p->memory(now, x, y, x / (y + 1)); break;
        default: p->active_memory(x / 1e5, y / 1e5); break;
      }
    }
  }
  d.finish();
  t.finish();
  RC_ASSERT(metrics_difference(direct, folded) == "");
}

}  // namespace
}  // namespace hearth::sim
