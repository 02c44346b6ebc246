#include "sim/latency_histogram.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace hearth::sim {
namespace {

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int v = 1; v <= 100; ++v) h.add(v);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_EQ(h.percentile(0.5), 50);
  EXPECT_EQ(h.percentile(0.99), 99);
  EXPECT_EQ(h.percentile(1.0), 100);
  EXPECT_EQ(h.min(), 1);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LatencyHistogram, FractionAtMostCountsSamplesUpToTheValue) {
  LatencyHistogram h;
  for (std::int64_t v : {10, 20, 30, 40}) h.add(v);  // below 128: exact
  EXPECT_DOUBLE_EQ(h.fraction_at_most(9), 0.0);
  EXPECT_DOUBLE_EQ(h.fraction_at_most(20), 0.5);
  EXPECT_DOUBLE_EQ(h.fraction_at_most(39), 0.75);
  EXPECT_DOUBLE_EQ(h.fraction_at_most(1'000'000), 1.0);
  h.add(500'000);  // 500 ms; 400 ms lies in another bucket, 500 ms in its own
  EXPECT_DOUBLE_EQ(h.fraction_at_most(400'000), 0.8);
  EXPECT_DOUBLE_EQ(h.fraction_at_most(500'000), 1.0);
  EXPECT_DOUBLE_EQ(LatencyHistogram{}.fraction_at_most(5), 0.0);
}

TEST(LatencyHistogram, EmptyIsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.percentile(0.99), 0);
  EXPECT_EQ(h.mean(), 0);
}

TEST(LatencyHistogram, MergeAddsCounts) {
  LatencyHistogram a, b;
  a.add(10);
  b.add(1'000'000);
  a.merge(b);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.max(), 1'000'000);
  EXPECT_EQ(a.percentile(0.5), 10);
}

RC_GTEST_PROP(LatencyHistogramProperty, PercentileWithinOnePercent, ()) {
  auto values = *rc::gen::nonEmpty(rc::gen::container<std::vector<std::int64_t>>(
      rc::gen::inRange<std::int64_t>(0, std::int64_t{1} << 40)));
  const double q = *rc::gen::inRange(0, 1001) / 1000.0;
  LatencyHistogram h;
  for (auto v : values) h.add(v);
  std::sort(values.begin(), values.end());
  const auto rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * values.size())));
  const double exact = static_cast<double>(values[rank - 1]);
  const double got = static_cast<double>(h.percentile(q));
  RC_ASSERT(std::abs(got - exact) <= exact * 0.008 + 1);
}

}  // namespace
}  // namespace hearth::sim
