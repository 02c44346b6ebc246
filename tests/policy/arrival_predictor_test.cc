#include <gtest/gtest.h>

#include <stdexcept>

#include "policy/ewma_predictor.h"
#include "policy/exp_smoothing_predictor.h"
#include "policy/markov_error_correction.h"
#include "policy/registry.h"

namespace hearth::policy {
namespace {

using model::kMicrosPerMinute;
using model::seconds;

// Minute 0: 4 arrivals, minute 1: 2, minute 2: none, minute 3: 8.
void feed_through(ArrivalPredictor& p, int upto_minute) {
  const int counts[] = {4, 2, 0, 8};
  for (int m = 0; m <= upto_minute; ++m)
    for (int i = 0; i < counts[m]; ++i) p.on_arrival(0, m * kMicrosPerMinute + seconds(i));
}

TEST(EwmaPredictor, HandComputedLevels) {
  EwmaPredictor p(0.5);
  EXPECT_EQ(p.predict_next_minute(0, 0), 0);  // never arrived
  feed_through(p, 1);
  // At 90 s only minute 0 is complete: s = 4.
  EXPECT_DOUBLE_EQ(p.predict_next_minute(0, seconds(90)), 4);
  // At minute 3: minute 1 → .5·2 + .5·4 = 3; the empty minute 2 → .5·0 + .5·3 = 1.5.
  EXPECT_DOUBLE_EQ(p.predict_next_minute(0, 3 * kMicrosPerMinute), 1.5);
}

TEST(EwmaPredictor, SilenceFoldsInClosedForm) {
  EwmaPredictor p(0.5);
  for (int i = 0; i < 8; ++i) p.on_arrival(0, seconds(i));
  // s = 8 after minute 0, then 10 empty minutes (1..10): 8 · 0.5^10 = 0.0078125.
  EXPECT_DOUBLE_EQ(p.predict_next_minute(0, 11 * kMicrosPerMinute), 8.0 / 1024);
}

TEST(ExpSmoothingPredictor, BrownsDoubleSmoothingByHand) {
  ExpSmoothingPredictor p(0.5);
  const int counts[] = {4, 2, 0, 8};
  // α = .5, so b = S1 − S2 and ŷ = a + 2b = 2·S1 − S2 + 2·(S1 − S2).
  // minute 0: S1 = S2 = 4 → 4
  // minute 1: S1 = 3, S2 = 3.5 → a = 2.5, b = −.5 → 1.5
  // minute 2: S1 = 1.5, S2 = 2.5 → a = .5, b = −1 → −1.5, clamped to 0
  // minute 3: S1 = 4.75, S2 = 3.625 → a = 5.875, b = 1.125 → 8.125
  const double expected[] = {4, 1.5, 0, 8.125};
  for (int m = 0; m < 4; ++m) {
    for (int i = 0; i < counts[m]; ++i) p.on_arrival(0, m * kMicrosPerMinute + seconds(i));
    EXPECT_DOUBLE_EQ(p.predict_next_minute(0, (m + 1) * kMicrosPerMinute + seconds(30)), expected[m]) << m;
  }
  // A long silence decays to exactly 0.
  EXPECT_EQ(p.predict_next_minute(0, 100000 * kMicrosPerMinute), 0);
}

TEST(MarkovErrorCorrection, HandComputedCorrection) {
  MarkovErrorCorrection c;  // states: < −.5 | [−.5, −.1) | [−.1, .1) | [.1, .5) | ≥ .5
  EXPECT_EQ(c.state_of(-0.6), 0u);
  EXPECT_EQ(c.state_of(-0.5), 1u);
  EXPECT_EQ(c.state_of(0), 2u);
  EXPECT_EQ(c.state_of(0.5), 4u);
  EXPECT_DOUBLE_EQ(c.correct(10), 10);  // nothing learned yet
  c.observe(10, 15);  // e = .5  → state 4
  c.observe(10, 12);  // e = .2  → state 3 (4 → 3)
  c.observe(10, 8);   // e = −.2 → state 1 (3 → 1)
  c.observe(10, 15);  // e = .5  → state 4 (1 → 4)
  // From state 4 the only transition went to state 3, whose mean error is .2: 10 + .2·10 = 12.
  EXPECT_DOUBLE_EQ(c.expected_error(), 0.2);
  EXPECT_DOUBLE_EQ(c.correct(10), 12);
  EXPECT_DOUBLE_EQ(c.correct(0.5), 0.7);  // scaled by max(forecast, 1) = 1
  c.observe(2, 2.4);  // e = .4 / 2 = .2 → state 3 (4 → 3); from state 3 → state 1, mean −.2
  EXPECT_DOUBLE_EQ(c.correct(10), 8);
  EXPECT_DOUBLE_EQ(c.correct(1), 0.8);
}

TEST(PredictorRegistry, BuildsByNameAndRejectsBadParameters) {
  PolicyContext ctx;
  EXPECT_EQ(make_arrival_predictor("ewma", ctx)->name(), "ewma");
  EXPECT_EQ(make_arrival_predictor("exp-smoothing:alpha=0.2", ctx)->name(), "exp-smoothing");
  EXPECT_EQ(make_arrival_predictor("ewma:1", ctx)->name(), "ewma");
  EXPECT_THROW(make_arrival_predictor("exp-smoothing:alpha=1", ctx), std::invalid_argument);
  EXPECT_THROW(make_arrival_predictor("ewma:alpha=0", ctx), std::invalid_argument);
  try {
    make_arrival_predictor("arima", ctx);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown predictor policy 'arima' (ewma, exp-smoothing"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace hearth::policy
