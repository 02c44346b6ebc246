#include "sim/rate_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace hearth::sim {
namespace {

using model::kMicrosPerMinute;

constexpr model::Micros kWindow = 10 * kMicrosPerMinute;

// A run of 1000 invocations of which `in_window` start inside the 10-minute window, the rest after it,
// and `dropped` are dropped.
SimResult run_with(int in_window, int late, int dropped = 0) {
  SimResult r;
  r.metrics = Metrics(1, kMicrosPerMinute);
  model::Invocation inv;
  for (int i = 0; i < in_window; ++i) r.metrics.record_start(inv, model::StartKind::kWarm, kWindow - 1, 0);
  for (int i = 0; i < late; ++i) r.metrics.record_start(inv, model::StartKind::kWarm, kWindow, 0);
  for (int i = 0; i < dropped; ++i) r.metrics.record_drop(inv, model::DropReason::kQueueFull);
  return r;
}

TEST(KeepsUp, CountsTheShareStartedWithinTheWindow) {
  EXPECT_TRUE(keeps_up(run_with(990, 10), kWindow, 0.99));
  EXPECT_FALSE(keeps_up(run_with(989, 11), kWindow, 0.99));
  EXPECT_TRUE(keeps_up(run_with(989, 11), kWindow, 0.98));
  EXPECT_FALSE(keeps_up(run_with(999, 0, 1), kWindow, 0.5));  // a drop is never keeping up
  EXPECT_TRUE(keeps_up(run_with(0, 0), kWindow, 0.99));       // nothing offered
}

// A cluster with capacity C: at rate r it starts min(1, C / r) of the window's invocations in time.
struct FakeCluster {
  double capacity;
  int calls = 0;
  SimResult operator()(double rate) {
    ++calls;
    const int in_window = static_cast<int>(std::floor(1000 * std::min(1.0, capacity / rate)));
    return run_with(in_window, 1000 - in_window);
  }
};

TEST(RateSearch, BisectsToTheHighestRateThatKeepsUp) {
  FakeCluster cluster{437};
  RateSearch s;
  s.low = 10;
  s.high = 2000;
  s.precision = 0.01;
  s.keep_up = 1.0;
  const RateSearchResult found = find_max_sustained_rate(std::ref(cluster), kWindow, s);
  EXPECT_LE(found.rate, 437);
  EXPECT_GE(found.rate, 437 * 0.99);
  EXPECT_FALSE(found.capped);
  EXPECT_EQ(found.simulations, cluster.calls);
  // high, low, then halvings of [10, 2000] down to 1% of ~437: about log2(1990 / 4.37) ≈ 9 more.
  EXPECT_LE(found.simulations, 2 + 10);
  EXPECT_TRUE(keeps_up(found.at_rate, kWindow, 1.0));  // the run reported is one that kept up
}

TEST(RateSearch, ReportsTheBoundsWhenTheAnswerIsOutsideThem) {
  RateSearch s;
  s.low = 10;
  s.high = 100;
  s.keep_up = 1.0;
  FakeCluster big{500};
  const RateSearchResult capped = find_max_sustained_rate(std::ref(big), kWindow, s);
  EXPECT_TRUE(capped.capped);
  EXPECT_EQ(capped.rate, 100);
  EXPECT_EQ(capped.simulations, 1);
  FakeCluster tiny{5};
  const RateSearchResult none = find_max_sustained_rate(std::ref(tiny), kWindow, s);
  EXPECT_EQ(none.rate, 0);
  EXPECT_EQ(none.simulations, 2);
  EXPECT_EQ(none.at_rate.metrics.invocations(), 1000u);  // the run at `low`, for the record
}

TEST(RateSearch, APrecisionFinerThanADoubleStopsAtAdjacentRates) {
  // 1e-300 of ~437 is far below a double's spacing there: the bisection must stop once the midpoint
  // equals a bound, not run forever re-simulating the same rate.
  FakeCluster cluster{437};
  RateSearch s;
  s.low = 10;
  s.high = 2000;
  s.precision = 1e-300;
  s.keep_up = 1.0;
  const RateSearchResult found = find_max_sustained_rate(std::ref(cluster), kWindow, s);
  EXPECT_LE(found.rate, 437);
  EXPECT_GE(found.rate, 436.9);
  EXPECT_LE(found.simulations, 2 + 80);
}

TEST(RateSearch, RejectsABadRange) {
  FakeCluster c{10};
  RateSearch s;
  s.low = 100;
  s.high = 50;
  EXPECT_THROW(find_max_sustained_rate(std::ref(c), kWindow, s), std::invalid_argument);
  s.low = 0;
  s.high = 50;
  EXPECT_THROW(find_max_sustained_rate(std::ref(c), kWindow, s), std::invalid_argument);
}

}  // namespace
}  // namespace hearth::sim
