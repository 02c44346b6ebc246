#include "policy/rank_correlation.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace hearth::policy {
namespace {

TEST(RankCorrelation, TiesShareTheMeanOfTheirRanks) {
  const std::vector<double> v = {30, 10, 20, 20};
  EXPECT_EQ(average_ranks(v), (std::vector<double>{4, 1, 2.5, 2.5}));
  const std::vector<double> same = {5, 5, 5};
  EXPECT_EQ(average_ranks(same), (std::vector<double>{2, 2, 2}));
}

TEST(RankCorrelation, PaperCpuExampleOnItsRanks) {
  // §IV of seed 002: CPU ranks 1..8 against latency ranks [8, 7, 6, 5, 3, 4, 1, 2] (its latency list has
  // only six values, so the ranks are the consistent part). No ties: rho = 1 − 6Σd²/(n(n²−1)),
  // d = [−7, −5, −3, −1, 2, 2, 6, 6], Σd² = 49+25+9+1+4+4+36+36 = 164, rho = 1 − 984/504 = −20/21 = −0.952.
  const std::vector<double> cpu = {0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2};
  const std::vector<double> latency_rank = {8, 7, 6, 5, 3, 4, 1, 2};
  EXPECT_NEAR(spearman(cpu, latency_rank), -20.0 / 21, 1e-12);
}

TEST(RankCorrelation, TiedHandExample) {
  // x = [1, 2, 2, 3] → ranks [1, 2.5, 2.5, 4]; y = [1, 3, 2, 4] → ranks [1, 3, 2, 4]; mean rank 2.5.
  // Σ dx·dy = 2.25 + 0 + 0 + 2.25 = 4.5; Σ dx² = 4.5; Σ dy² = 2.25 + .25 + .25 + 2.25 = 5
  // rho = 4.5 / sqrt(4.5 · 5) = sqrt(0.9)
  const std::vector<double> x = {1, 2, 2, 3}, y = {1, 3, 2, 4};
  EXPECT_NEAR(spearman(x, y), std::sqrt(0.9), 1e-12);
}

TEST(RankCorrelation, UndefinedAndBadInput) {
  const std::vector<double> constant = {1, 1, 1}, rising = {1, 2, 3}, one = {1}, pair = {1, 2};
  EXPECT_TRUE(std::isnan(spearman(constant, rising)));
  EXPECT_TRUE(std::isnan(spearman(one, one)));
  EXPECT_THROW(spearman(rising, pair), std::invalid_argument);
  const std::vector<double> with_nan = {1, NAN, 3};
  EXPECT_THROW(spearman(with_nan, rising), std::invalid_argument);
}

RC_GTEST_PROP(RankCorrelation, MonotoneMapsGiveOneAndReversalsMinusOne, ()) {
  const auto raw = *rc::gen::container<std::vector<int>>(rc::gen::inRange(-1000, 1000));
  RC_PRE(raw.size() >= 2);
  std::vector<double> x(raw.begin(), raw.end()), up, down;
  for (double v : x) {
    up.push_back(std::exp(v / 300.0));  // strictly increasing map: same ranks
    down.push_back(-3 * v);             // strictly decreasing map: reversed ranks
  }
  const double rho = spearman(x, up);
  if (std::isnan(rho)) {
    RC_ASSERT(std::all_of(x.begin(), x.end(), [&](double v) { return v == x.front(); }));
  } else {
    RC_ASSERT(std::fabs(rho - 1) < 1e-9);
    RC_ASSERT(std::fabs(spearman(x, down) + 1) < 1e-9);
    RC_ASSERT(std::fabs(spearman(x, up) - spearman(up, x)) < 1e-12);
  }
}

}  // namespace
}  // namespace hearth::policy
