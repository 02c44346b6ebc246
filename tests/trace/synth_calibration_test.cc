// The calibrated generator measured as any trace is (TraceStats over the generated invocations), each
// statistic against the published value (Shahrad et al., "Serverless in the Wild", ATC'20) within a stated
// tolerance. 5,000 functions over 2 hours (3.4 M invocations at seed 1). docs/traces.md has the table.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "trace/synth.h"
#include "trace/trace_stats.h"

namespace hearth::trace {
namespace {

using model::Trigger;

struct Measured {
  TraceSummary all;
  TraceSummary non_timer;  // the same trace without the timer functions' invocations
  TraceSummary timer;      // only the timers'
};

Measured measure(std::uint64_t seed) {
  SynthOptions o;
  o.functions = 5000;
  o.minutes = 120;
  o.seed = seed;
  Workload w = synth_workload(o);
  TraceStats all(w.functions), non_timer(w.functions), timer(w.functions);
  std::vector<model::Invocation> batch, a, b;
  while (w.invocations->next_batch(batch)) {
    all.add(batch);
    a.clear();
    b.clear();
    for (const auto& inv : batch) (w.functions[inv.function].trigger == Trigger::kTimer ? b : a).push_back(inv);
    non_timer.add(a);
    timer.add(b);
  }
  const model::Micros span = w.invocations->span_us();
  return {all.finish(span), non_timer.finish(span), timer.finish(span)};
}

double function_share(const TraceSummary& s, Trigger t) {
  return static_cast<double>(s.triggers[static_cast<std::size_t>(t)].functions) / static_cast<double>(s.functions);
}
double invocation_share(const TraceSummary& s, Trigger t) {
  return static_cast<double>(s.triggers[static_cast<std::size_t>(t)].invocations) / static_cast<double>(s.invocations);
}

class SynthCalibration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { m_ = new Measured(measure(1)); }
  static void TearDownTestSuite() {
    delete m_;
    m_ = nullptr;
  }
  static Measured* m_;
};
Measured* SynthCalibration::m_ = nullptr;

// Trigger mix by functions (Fig. 2): 5,000 draws, binomial stddev <= 0.7 points; tolerance 2 points.
TEST_F(SynthCalibration, TriggerMixByFunctions) {
  const TraceSummary& s = m_->all;
  EXPECT_NEAR(function_share(s, Trigger::kHttp), 0.55, 0.02);
  EXPECT_NEAR(function_share(s, Trigger::kQueue), 0.15, 0.02);
  EXPECT_NEAR(function_share(s, Trigger::kEvent), 0.02, 0.02);
  EXPECT_NEAR(function_share(s, Trigger::kTimer), 0.16, 0.02);
  EXPECT_NEAR(function_share(s, Trigger::kOrchestration), 0.07, 0.02);
  EXPECT_NEAR(function_share(s, Trigger::kStorage) + function_share(s, Trigger::kOthers), 0.05, 0.02);
}

// Trigger mix by invocations (Fig. 2: HTTP 36, queue 34, event 25, timer 2, orchestration 2, others 1). The
// model matches these in expectation, but a few functions make most invocations (the top 18.6 % of apps make
// 99.6 %), so one 5,000-function trace is far from its expectation: tolerance 15 points for the three large
// shares (seeds 1 and 2 are within it; seed 3 has queue at 52 %: docs/traces.md), and the small ones stay
// small (< 5 %).
TEST_F(SynthCalibration, TriggerMixByInvocations) {
  const TraceSummary& s = m_->all;
  EXPECT_NEAR(invocation_share(s, Trigger::kHttp), 0.36, 0.15);
  EXPECT_NEAR(invocation_share(s, Trigger::kQueue), 0.34, 0.15);
  EXPECT_NEAR(invocation_share(s, Trigger::kEvent), 0.25, 0.15);
  EXPECT_LT(invocation_share(s, Trigger::kTimer), 0.05);
  EXPECT_LT(invocation_share(s, Trigger::kOrchestration), 0.05);
  EXPECT_LT(invocation_share(s, Trigger::kStorage) + invocation_share(s, Trigger::kOthers), 0.05);
}

// Functions per app (§3.1): 54 % of apps have one function, 95 % at most 10. About 1,400 apps: 3 points.
TEST_F(SynthCalibration, FunctionsPerApp) {
  EXPECT_NEAR(m_->all.functions_per_app.share_at_most(1), 0.54, 0.03);
  EXPECT_NEAR(m_->all.functions_per_app.share_at_most(10), 0.95, 0.03);
}

// Popularity (§3.3). Two hours resolve "at most once a minute" (at most 120 invocations) well but not "at most
// once an hour" (2 invocations), so the window's counts are checked against 81 % and the heavy head (18.6 % of
// apps, 99.6 % of invocations); 45 % is checked on the model's rates (Synth.PopularityCalibration).
TEST_F(SynthCalibration, Popularity) {
  const TraceSummary& s = m_->all;
  EXPECT_NEAR(s.app_daily.share_at_most(1440), 0.81, 0.05);
  EXPECT_GT(s.top_app_invocation_share(0.186), 0.99);
  // 8 orders of magnitude between functions: at one invocation in 2 hours the floor is 12 a day.
  EXPECT_GE(std::log10(s.function_daily.quantile(1) / 12), 5.0);
}

// Inter-arrival variability (§3.3, Fig. 6): timers are periodic (CV ~ 0); many non-timer apps have CV > 1.
// Here: timers' CV < 0.01 (exact periods), at least a quarter of the non-timer functions CV > 1.
TEST_F(SynthCalibration, InterArrivalVariability) {
  ASSERT_GT(m_->timer.iat_cv.sorted.size(), 100u);
  EXPECT_LT(m_->timer.iat_cv.quantile(1), 0.01);
  ASSERT_GT(m_->non_timer.iat_cv.sorted.size(), 300u);
  EXPECT_GT(1 - m_->non_timer.iat_cv.share_at_most(1), 0.25);
}

// Execution time per function (Fig. 7): log-normal, ln s mean -0.38, sigma 2.36: 56.4 % under 1 s, 97.1 %
// under 60 s, median 0.68 s. Tolerance 3 points / 15 % of the median.
TEST_F(SynthCalibration, ExecutionTime) {
  const Distribution& e = m_->all.exec_seconds;
  EXPECT_NEAR(e.share_at_most(1), 0.564, 0.03);
  EXPECT_NEAR(e.share_at_most(60), 0.971, 0.015);
  EXPECT_NEAR(e.quantile(0.5), std::exp(-0.38), 0.15 * std::exp(-0.38));
}

// Memory per app (Fig. 8, Burr XII c = 11.652, k = 0.221, lambda = 107.083 MB): median 139.6 MB, p90 261.8 MB
// (1 - F = (1 + (x/lambda)^c)^-k). Tolerance 10 %.
TEST_F(SynthCalibration, AppMemory) {
  const Distribution& m = m_->all.app_memory_mb;
  const auto burr_quantile = [](double p) { return 107.083 * std::pow(std::pow(1 - p, -1 / 0.221) - 1, 1 / 11.652); };
  EXPECT_NEAR(m.quantile(0.5), burr_quantile(0.5), 0.1 * burr_quantile(0.5));
  EXPECT_NEAR(m.quantile(0.9), burr_quantile(0.9), 0.1 * burr_quantile(0.9));
}

// Mean concurrency per function (rate x execution time: the executions a function keeps in flight, what
// a cluster must hold for it). The paper gives no joint statistic; the shared sample azure2019-500 (500
// functions active in 8 hours, read only) has 18.0 % of them above 0.01, 6.2 % above 0.1 and 1.0 % above 1
// (90, 31 and 5 functions). Over the model's rates, among functions expected at least once in 8 hours,
// each share must lie in the sample's 95 % Poisson interval (14.5-22.1 %, 4.2-8.8 %, 0.32-2.33 %), for
// seeds 1-4 of a 50,000-function table. The largest function is not bounded: one heavy draw (seed 1: one
// function keeps 64 % of the executions in flight, docs/sim-scale.md) is the tail the sample's shares
// extrapolate to.
TEST(SynthCalibrationConcurrency, SharesMatchTheSample) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    SynthOptions o;
    o.functions = 50000;
    o.minutes = 60;
    o.seed = seed;
    std::size_t active = 0, above[3] = {0, 0, 0};
    for (const SynthFunction& f : synth_functions(o)) {
      if (f.rate_per_minute * 480 < 1) continue;
      ++active;
      const double concurrency =
          f.rate_per_minute / 60.0 * static_cast<double>(f.spec.warm_us) / static_cast<double>(model::kMicrosPerSecond);
      above[0] += concurrency > 0.01;
      above[1] += concurrency > 0.1;
      above[2] += concurrency > 1;
    }
    const auto share = [&](std::size_t n) { return static_cast<double>(n) / static_cast<double>(active); };
    const std::string measured = std::to_string(active) + " active functions, shares " + std::to_string(share(above[0])) +
                                 " / " + std::to_string(share(above[1])) + " / " + std::to_string(share(above[2]));
    ::testing::Test::RecordProperty("seed" + std::to_string(seed), measured);  // --gtest_output=xml shows them
    SCOPED_TRACE("seed " + std::to_string(seed) + ": " + measured);
    EXPECT_GE(share(above[0]), 0.145);
    EXPECT_LE(share(above[0]), 0.221);
    EXPECT_GE(share(above[1]), 0.042);
    EXPECT_LE(share(above[1]), 0.088);
    EXPECT_GE(share(above[2]), 0.0032);
    EXPECT_LE(share(above[2]), 0.0233);
  }
}

// The same seed, the same trace; another seed, another trace.
TEST(SynthCalibrationSeeds, Deterministic) {
  SynthOptions o;
  o.functions = 300;
  o.minutes = 30;
  const auto count = [](SynthOptions opts) {
    Workload w = synth_workload(opts);
    std::vector<model::Invocation> batch;
    std::uint64_t n = 0, checksum = 0;
    while (w.invocations->next_batch(batch))
      for (const auto& inv : batch) {
        ++n;
        checksum = checksum * 31 + static_cast<std::uint64_t>(inv.arrival_us) + inv.function;
      }
    return std::pair{n, checksum};
  };
  EXPECT_EQ(count(o), count(o));
  SynthOptions other = o;
  other.seed = 2;
  EXPECT_NE(count(o), count(other));
}

}  // namespace
}  // namespace hearth::trace
