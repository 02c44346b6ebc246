// XgbRegressor: fits a known function, the L1 objective fits medians where squared error fits means,
// training is deterministic, and a saved model loads back with identical predictions.
#include "policy/xgboost_regressor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace hearth::policy {
namespace {

struct Data {
  std::vector<float> x, y;
  std::size_t rows = 0;
};

// y = 3·x0 + 2·[x1 > 0.5] on a 40 × 10 grid.
Data grid() {
  Data d;
  for (int i = 0; i < 40; ++i) {
    for (int j = 0; j < 10; ++j) {
      const float x0 = static_cast<float>(i) / 40, x1 = static_cast<float>(j) / 10;
      d.x.insert(d.x.end(), {x0, x1});
      d.y.push_back(3 * x0 + (x1 > 0.5f ? 2.0f : 0.0f));
      ++d.rows;
    }
  }
  return d;
}

TEST(XgbRegressor, FitsAKnownFunction) {
  const Data d = grid();
  XgbParams p;
  p.eta = 0.3;
  p.rounds = 150;
  XgbRegressor m;
  m.train(d.x, d.rows, 2, d.y, p);
  ASSERT_TRUE(m.trained());
  const std::vector<float> probe{0.25f, 0.8f, 0.75f, 0.1f};
  const std::vector<float> out = m.predict(probe, 2);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_NEAR(out[0], 3 * 0.25 + 2, 0.15);
  EXPECT_NEAR(out[1], 3 * 0.75, 0.15);
}

TEST(XgbRegressor, AbsoluteErrorFitsTheMedianSquaredErrorTheMean) {
  // One constant feature, labels {0, 0, 0, 10}: the L1 loss is minimised by the median 0, L2 by the mean 2.5.
  const std::vector<float> x{1, 1, 1, 1}, y{0, 0, 0, 10}, probe{1};
  XgbParams l1;
  l1.eta = 0.5;
  l1.rounds = 100;
  XgbParams l2 = l1;
  l2.objective = "reg:squarederror";
  l2.lambda = 0;
  XgbRegressor a, b;
  a.train(x, 4, 1, y, l1);
  b.train(x, 4, 1, y, l2);
  EXPECT_NEAR(a.predict(probe, 1)[0], 0.0, 0.3);
  EXPECT_NEAR(b.predict(probe, 1)[0], 2.5, 0.1);
}

TEST(XgbRegressor, SaveLoadRoundTripAndDeterminism) {
  const Data d = grid();
  XgbParams p;
  p.rounds = 30;
  XgbRegressor m, again;
  m.train(d.x, d.rows, 2, d.y, p);
  again.train(d.x, d.rows, 2, d.y, p);
  const std::vector<float> before = m.predict(d.x, d.rows);
  EXPECT_EQ(again.predict(d.x, d.rows), before);  // same data, same parameters: same model
  const std::vector<std::uint8_t> bytes = m.save();
  ASSERT_FALSE(bytes.empty());
  XgbRegressor loaded = XgbRegressor::load(bytes, 2);
  EXPECT_EQ(loaded.predict(d.x, d.rows), before);
  XgbRegressor moved = std::move(loaded);
  EXPECT_FALSE(loaded.trained());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  EXPECT_EQ(moved.predict(d.x, d.rows), before);
}

TEST(XgbRegressor, RejectsBadInput) {
  XgbRegressor m;
  const std::vector<float> x{1, 2, 3, 4}, y{1, 2};
  EXPECT_THROW(m.predict(x, 2), std::logic_error);
  EXPECT_THROW(m.train(x, 2, 3, y, {}), std::invalid_argument);  // 2 x 3 != 4 values
  XgbParams many;
  many.rounds = 201;
  EXPECT_THROW(m.train(x, 2, 2, y, many), std::invalid_argument);
  XgbParams objective;
  objective.objective = "reg:nonsense";
  EXPECT_THROW(m.train(x, 2, 2, y, objective), std::runtime_error);
  const std::vector<std::uint8_t> junk{1, 2, 3};
  EXPECT_THROW(XgbRegressor::load(junk, 2), std::runtime_error);
}

}  // namespace
}  // namespace hearth::policy
