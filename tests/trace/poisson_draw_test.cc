// draw_poisson against the Poisson law: sample mean and variance within 5 standard errors of the mean, and
// for small means the frequency of each count against the pmf, on both sides of the inversion / PTRS switch.
#include "trace/poisson_draw.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace hearth::trace {
namespace {

TEST(PoissonDraw, ZeroMeanIsZero) {
  std::mt19937_64 rng(1);
  EXPECT_EQ(draw_poisson(0, rng), 0u);
  EXPECT_EQ(draw_poisson(-1, rng), 0u);
}

TEST(PoissonDraw, MeanAndVarianceMatch) {
  for (double mean : {0.05, 1.0, 3.7, 9.99, 10.0, 10.01, 42.0, 1000.0, 2.5e5}) {
    std::mt19937_64 rng(7);
    constexpr int kDraws = 200000;
    double sum = 0, sq = 0;
    for (int i = 0; i < kDraws; ++i) {
      const auto k = static_cast<double>(draw_poisson(mean, rng));
      sum += k;
      sq += k * k;
    }
    const double m = sum / kDraws, var = sq / kDraws - m * m;
    // Standard error of the mean sqrt(mean / n); of the variance about mean·sqrt(2 / n) for large means.
    EXPECT_NEAR(m, mean, 5 * std::sqrt(mean / kDraws)) << "mean " << mean;
    EXPECT_NEAR(var, mean, 5 * std::sqrt((mean + 2 * mean * mean) / kDraws)) << "mean " << mean;
  }
}

TEST(PoissonDraw, FrequenciesMatchThePmf) {
  for (double mean : {2.0, 12.0}) {  // inversion, then PTRS
    std::mt19937_64 rng(3);
    constexpr int kDraws = 400000;
    std::vector<int> seen(80);
    for (int i = 0; i < kDraws; ++i) {
      const auto k = draw_poisson(mean, rng);
      if (k < seen.size()) ++seen[k];
    }
    for (std::size_t k = 0; k < 30; ++k) {
      const double p = std::exp(-mean + static_cast<double>(k) * std::log(mean) - std::lgamma(static_cast<double>(k) + 1));
      const double expected = p * kDraws;
      EXPECT_NEAR(seen[k], expected, 5 * std::sqrt(expected) + 1) << "mean " << mean << " count " << k;
    }
  }
}

TEST(PoissonDraw, UniformBelowStaysInRange) {
  std::mt19937_64 rng(5);
  std::vector<int> buckets(6);
  for (int i = 0; i < 60000; ++i) {
    const auto v = uniform_below(6, rng);
    ASSERT_LT(v, 6u);
    ++buckets[v];
  }
  for (int b : buckets) EXPECT_NEAR(b, 10000, 500);
}

}  // namespace
}  // namespace hearth::trace
