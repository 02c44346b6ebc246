// ProphetModel on synthetic series with known components: the fit recovers the trend's slope (and a
// changepoint's), the daily and weekly amplitudes, the special day's effect, and a logistic trend's curve.
#include "policy/prophet_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>
#include <stdexcept>
#include <vector>

namespace hearth::policy {
namespace {

constexpr double kDay = 1440, kWeek = 7 * 1440;

struct Series {
  std::vector<double> t, y;
};

// Every 10 minutes over `days` days, y = f(t) + N(0, noise²) from a fixed seed.
template <typename F>
Series sample(int days, double noise, F f) {
  Series s;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> eps(0, noise);
  for (double t = 0; t < days * kDay; t += 10) {
    s.t.push_back(t);
    s.y.push_back(f(t) + eps(rng));
  }
  return s;
}

// The largest |component| over one period sampled every minute.
template <typename F>
double amplitude(double from, double period, F component) {
  double a = 0;
  for (double t = from; t < from + period; t += 1) a = std::max(a, std::abs(component(t)));
  return a;
}

TEST(ProphetModel, RecoversSlopeSeasonalAmplitudesAndTheSpecialDay) {
  const Series s = sample(14, 0.2, [](double t) {
    const int day = static_cast<int>(t / kDay);
    return 5 + 0.001 * t + 2 * std::sin(2 * std::numbers::pi * t / kDay) +
           1 * std::cos(2 * std::numbers::pi * t / kWeek) + (day == 4 ? 3.0 : 0.0);
  });
  ProphetOptions o;
  o.special_days = {{"spike", {4}, 0, 0}};
  ProphetModel m(o);
  m.fit(s.t, s.y);
  ASSERT_TRUE(m.fitted());
  EXPECT_TRUE(m.daily_enabled());
  EXPECT_TRUE(m.weekly_enabled());
  EXPECT_NEAR(m.trend_slope(6 * kDay), 0.001, 0.0001);
  EXPECT_NEAR(amplitude(7 * kDay, kDay, [&](double t) { return m.components(t).daily; }), 2.0, 0.1);
  EXPECT_NEAR(amplitude(0, kWeek, [&](double t) { return m.components(t).weekly; }), 1.0, 0.15);
  EXPECT_NEAR(m.components(4 * kDay + 600).holiday, 3.0, 0.15);
  EXPECT_EQ(m.components(5 * kDay + 600).holiday, 0.0);
  // The whole fit tracks the noiseless curve.
  const double t = 10 * kDay + 333;
  EXPECT_NEAR(m.predict(t), 5 + 0.001 * t + 2 * std::sin(2 * std::numbers::pi * t / kDay) +
                                1 * std::cos(2 * std::numbers::pi * t / kWeek),
              0.3);
}

TEST(ProphetModel, AHolidayWindowCoversTheDaysAroundIt) {
  const Series s = sample(10, 0.1, [](double t) {
    const int day = static_cast<int>(t / kDay);
    return 10.0 + (day == 3 ? 1.0 : 0.0) + (day == 4 ? 4.0 : 0.0) + (day == 5 ? 2.0 : 0.0);
  });
  ProphetOptions o;
  o.special_days = {{"event", {4}, 1, 1}};
  ProphetModel m(o);
  m.fit(s.t, s.y);
  EXPECT_NEAR(m.components(3 * kDay + 100).holiday, 1.0, 0.15);
  EXPECT_NEAR(m.components(4 * kDay + 100).holiday, 4.0, 0.15);
  EXPECT_NEAR(m.components(5 * kDay + 100).holiday, 2.0, 0.15);
  EXPECT_EQ(m.components(7 * kDay).holiday, 0.0);
}

TEST(ProphetModel, FindsAChangeOfSlope) {
  // Slope 0.002 for 5 days, then -0.001.
  const Series s = sample(10, 0.1, [](double t) {
    const double knee = 5 * kDay;
    return t < knee ? 2 + 0.002 * t : 2 + 0.002 * knee - 0.001 * (t - knee);
  });
  ProphetOptions o;
  o.daily_order = o.weekly_order = 0;
  ProphetModel m(o);
  m.fit(s.t, s.y);
  EXPECT_NEAR(m.trend_slope(2 * kDay), 0.002, 0.0002);
  EXPECT_NEAR(m.trend_slope(7.5 * kDay), -0.001, 0.0002);
  // Beyond the history the last rate continues.
  EXPECT_NEAR(m.trend_slope(12 * kDay), -0.001, 0.0002);
}

TEST(ProphetModel, ShortHistoryFitsNoSeasonalityItCannotSee) {
  Series h;
  for (double t = 0; t < 480; t += 10) {
    h.t.push_back(t);
    h.y.push_back(3 + 0.01 * t);
  }
  ProphetModel m(ProphetOptions{});
  m.fit(h.t, h.y);
  EXPECT_FALSE(m.daily_enabled());
  EXPECT_FALSE(m.weekly_enabled());
  EXPECT_NEAR(m.predict(240), 3 + 2.4, 0.05);
  EXPECT_EQ(m.components(240).seasonal(), 0.0);
}

TEST(ProphetModel, LogisticTrendSaturatesAtTheCapacity) {
  // C = 100, rate 0.002 per minute, midpoint at day 3.
  const auto curve = [](double t) { return 100 / (1 + std::exp(-0.002 * (t - 3 * kDay))); };
  const Series s = sample(6, 0.5, curve);
  ProphetOptions o;
  o.growth = TrendGrowth::kLogistic;
  o.capacity = 100;
  o.daily_order = 0;
  ProphetModel m(o);
  m.fit(s.t, s.y);
  for (double t : {1 * kDay, 2.5 * kDay, 3 * kDay, 4 * kDay, 5.5 * kDay}) EXPECT_NEAR(m.components(t).trend, curve(t), 2.0) << t;
  // Far ahead the trend stays under the capacity.
  EXPECT_LT(m.components(30 * kDay).trend, 100.0 + 1e-9);
  EXPECT_GT(m.components(30 * kDay).trend, 95.0);
}

TEST(ProphetModel, RejectsInconsistentOptionsAndSeries) {
  ProphetOptions logistic;
  logistic.growth = TrendGrowth::kLogistic;
  EXPECT_THROW(ProphetModel{logistic}, std::invalid_argument);
  ProphetOptions range;
  range.changepoint_range = 0;
  EXPECT_THROW(ProphetModel{range}, std::invalid_argument);
  ProphetOptions window;
  window.special_days = {{"x", {1}, -1, 0}};
  EXPECT_THROW(ProphetModel{window}, std::invalid_argument);
  ProphetModel m(ProphetOptions{});
  const std::vector<double> one{1.0}, two{1.0, 1.0};
  EXPECT_THROW(m.fit(one, one), std::invalid_argument);
  EXPECT_THROW(m.fit(two, two), std::invalid_argument);  // times not increasing
  EXPECT_FALSE(m.fitted());
  EXPECT_EQ(m.predict(5), 0.0);
}

}  // namespace
}  // namespace hearth::policy
