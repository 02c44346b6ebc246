// The arrival predictors of Incendio's part 3: the history they bin, the histogram's hazard worked by hand,
// the learned predictors (hybrid and xgboost) on series with a known next minute, their determinism, and
// the factory's names and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <stdexcept>
#include <vector>

#include "policy/arrival_history.h"
#include "policy/histogram_arrival_predictor.h"
#include "policy/learned_arrival_predictor.h"
#include "policy/learned_predictors.h"

namespace hearth::policy {
namespace {

using model::kMicrosPerMinute;
using model::Micros;

std::vector<model::FunctionSpec> specs(int n) {
  std::vector<model::FunctionSpec> f(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) f[static_cast<std::size_t>(i)].id = static_cast<model::FunctionId>(i);
  return f;
}

// `count` arrivals of fn spread over minute m.
void feed(ArrivalPredictor& p, model::FunctionId fn, std::int64_t m, int count) {
  for (int i = 0; i < count; ++i) p.on_arrival(fn, m * kMicrosPerMinute + i * (kMicrosPerMinute / (count + 1)));
}
// The last microsecond of minute m: every arrival of m is in, the prediction is for m + 1.
Micros end_of(std::int64_t m) { return (m + 1) * kMicrosPerMinute - 1; }

TEST(ArrivalHistory, BinsPerMinuteAndSumsWindows) {
  ArrivalHistory h;
  h.add(2, 0);
  h.add(2, kMicrosPerMinute - 1);
  h.add(2, 3 * kMicrosPerMinute);
  EXPECT_EQ(h.functions(), 3u);
  EXPECT_EQ(h.count(2, 0), 2u);
  EXPECT_EQ(h.count(2, 1), 0u);
  EXPECT_EQ(h.count(2, 3), 1u);
  EXPECT_EQ(h.count(2, 99), 0u);
  EXPECT_EQ(h.count(2, -1), 0u);
  EXPECT_EQ(h.count(7, 0), 0u);
  EXPECT_EQ(h.window_sum(2, -5, 4), 3u);
  EXPECT_EQ(h.window_sum(2, 1, 3), 0u);
  EXPECT_EQ(h.total_before(2, 100), 3u);
}

TEST(HistogramArrivalPredictor, HazardOfTheIdleHistogramTimesArrivalsPerActiveMinute) {
  HybridHistogramParams p;  // min_samples 10, 4 h range
  HistogramArrivalPredictor h(specs(1), p);
  // Active every 3rd minute with 2 arrivals: 21 active minutes, 20 idle times of 3 minutes.
  for (std::int64_t m = 0; m <= 60; m += 3) feed(h, 0, m, 2);
  // Last active minute 60. Target 61 (d = 1): H[1] = 0 → 0. Target 63 (d = 3): H[3] / tail = 20/20, × 2.
  EXPECT_DOUBLE_EQ(h.predict_next_minute(0, end_of(60)), 0.0);
  EXPECT_DOUBLE_EQ(h.predict_next_minute(0, end_of(62)), 2.0);
  // d = 5: no idle time that long remains → 0.
  EXPECT_DOUBLE_EQ(h.predict_next_minute(0, end_of(64)), 0.0);
}

TEST(HistogramArrivalPredictor, MixedIdleTimesGiveTheConditionalProbability) {
  HistogramArrivalPredictor h(specs(1), HybridHistogramParams{});
  // Idle times: 10 × 2 minutes then 10 × 4 minutes, one arrival per active minute.
  std::int64_t m = 0;
  feed(h, 0, m, 1);
  for (int i = 0; i < 10; ++i) feed(h, 0, m += 2, 1);
  for (int i = 0; i < 10; ++i) feed(h, 0, m += 4, 1);
  // d = 2: H[2] / (H[2] + H[4]) = 10/20; d = 4: 10/10.
  EXPECT_DOUBLE_EQ(h.predict_next_minute(0, end_of(m + 1)), 0.5);
  EXPECT_DOUBLE_EQ(h.predict_next_minute(0, end_of(m + 3)), 1.0);
}

TEST(HistogramArrivalPredictor, FewIdleTimesFallBackToTheMeanRate) {
  HistogramArrivalPredictor h(specs(2), HybridHistogramParams{});
  EXPECT_EQ(h.predict_next_minute(1, end_of(5)), 0.0);  // never seen
  feed(h, 0, 0, 3);
  feed(h, 0, 4, 3);
  // 6 arrivals over minutes [0, 10): 0.6 per minute.
  EXPECT_DOUBLE_EQ(h.predict_next_minute(0, end_of(9)), 0.6);
}

LearnedPredictorParams quick(bool prophet) {
  LearnedPredictorParams p;
  p.prophet_features = prophet;
  p.first_fit = 6 * model::kMicrosPerHour;
  p.refit_every = 6 * model::kMicrosPerHour;
  p.max_rows = 20'000;
  p.min_prophet_arrivals = 10;
  p.xgb.rounds = 40;
  p.xgb.eta = 0.3;
  return p;
}

// Function 0: constant 5 a minute; 1: silent; 2: a slow cycle 10 ± 8 with a 2-hour period.
int cycle(std::int64_t m) { return static_cast<int>(std::lround(10 + 8 * std::sin(2 * std::numbers::pi * m / 120.0))); }

double run_and_score(LearnedArrivalPredictor& p, std::int64_t minutes, std::int64_t score_from) {
  double err = 0, sum = 0;
  for (std::int64_t m = 0; m < minutes; ++m) {
    if (m >= score_from) {
      for (model::FunctionId fn = 0; fn < 3; ++fn) {
        const int actual = fn == 0 ? 5 : fn == 1 ? 0 : cycle(m);
        err += std::abs(p.predict_next_minute(fn, end_of(m - 1)) - actual);
        sum += actual;
      }
    }
    feed(p, 0, m, 5);
    feed(p, 2, m, cycle(m));
  }
  return err / sum;
}

TEST(LearnedArrivalPredictor, BeforeTheFirstFitPredictsTheLastMinute) {
  LearnedArrivalPredictor p(specs(3), quick(true));
  feed(p, 2, 7, 4);
  EXPECT_EQ(p.predict_next_minute(2, end_of(7)), 4.0);
  EXPECT_EQ(p.predict_next_minute(0, end_of(7)), 0.0);
  EXPECT_EQ(p.fits(), 0);
}

TEST(LearnedArrivalPredictor, LearnsConstantSilentAndCyclicFunctions) {
  for (bool prophet : {false, true}) {
    LearnedArrivalPredictor p(specs(3), quick(prophet));
    const double wape = run_and_score(p, 12 * 60, 6 * 60 + 1);
    EXPECT_EQ(p.fits(), 1) << prophet;  // at the first prediction (minute 361); the next is due 6 h later
    EXPECT_LT(wape, 0.06) << "prophet features " << prophet;
    EXPECT_NEAR(p.predict_next_minute(0, end_of(12 * 60 - 1)), 5.0, 0.3);
    EXPECT_NEAR(p.predict_next_minute(1, end_of(12 * 60 - 1)), 0.0, 0.3);
    p.predict_next_minute(1, end_of(12 * 60));  // minute 721: the refit
    EXPECT_EQ(p.fits(), 2);
    EXPECT_EQ(p.feature_count(), prophet ? 11u : 7u);
  }
}

TEST(LearnedArrivalPredictor, IsDeterministic) {
  LearnedArrivalPredictor a(specs(3), quick(true)), b(specs(3), quick(true));
  EXPECT_EQ(run_and_score(a, 7 * 60, 6 * 60), run_and_score(b, 7 * 60, 6 * 60));
  EXPECT_EQ(a.model().save(), b.model().save());
}

TEST(LearnedPredictors, FactoryBuildsByNameAndRejectsBadParameters) {
  const std::vector<model::FunctionSpec> fns = specs(2);
  PolicyContext ctx;
  ctx.functions = fns;
  EXPECT_EQ(make_learned_arrival_predictor("hybrid", ctx)->name(), "hybrid");
  EXPECT_EQ(make_learned_arrival_predictor("xgboost:rounds=50", ctx)->name(), "xgboost");
  EXPECT_EQ(make_learned_arrival_predictor("histogram:range=2h", ctx)->name(), "histogram");
  EXPECT_EQ(make_learned_arrival_predictor("hybrid:special_days=4+11,window=1,growth=logistic", ctx)->name(), "hybrid");
  EXPECT_EQ(make_learned_arrival_predictor("ewma", ctx), nullptr);
  EXPECT_THROW(make_learned_arrival_predictor("hybrid:special_days=0", ctx), std::invalid_argument);
  EXPECT_THROW(make_learned_arrival_predictor("hybrid:growth=cubic", ctx), std::invalid_argument);
  EXPECT_THROW(make_learned_arrival_predictor("xgboost:rounds=500", ctx), std::invalid_argument);
  EXPECT_THROW(make_learned_arrival_predictor("xgboost:special_days=4", ctx), std::invalid_argument);
  EXPECT_THROW(make_learned_arrival_predictor("histogram:range=10s", ctx), std::invalid_argument);
}

}  // namespace
}  // namespace hearth::policy
