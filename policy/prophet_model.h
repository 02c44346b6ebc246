// ProphetModel: a Prophet-style additive time-series model (Taylor & Letham, "Forecasting at scale"), the
// first half of Incendio's hybrid arrival predictor (§V, Eq. 4):
//   y(t) = g(t) + s(t) + h(t) + ε
// g: trend — piecewise linear with `changepoints` rate changes placed evenly over the first
//    `changepoint_range` of the history (Prophet's defaults 25 and 0.8), or logistic growth towards a fixed
//    capacity C (Incendio caps the trend by the maximum parallelism), with the same changepoints;
// s: seasonality — Fourier series of period 1 day (order 4) and 1 week (order 3), Prophet's default orders;
//    a seasonality is fitted only when the history spans at least one whole period (Prophet's "auto" asks
//    for two; one lets a 7–10-day history learn the weekly cycle — see docs/incendio.md);
// h: special days ("holidays") — one indicator per special day and offset in its window
//    [day − lower_window, day + upper_window], each with its own coefficient (Prophet's holiday model).
// Fitting is Prophet's MAP estimate approximated by penalised least squares on the scaled series
// (y / max|y|, time scaled to [0, 1]): Laplace prior on the rate changes (scale changepoint_prior_scale)
// by iteratively reweighted ridge, Normal priors on seasonal and holiday coefficients (scales
// seasonality_prior_scale, holidays_prior_scale) and on the base rate and offset (scale 5); the noise
// variance is re-estimated from the residuals each iteration. Linear growth is linear in the parameters
// (normal equations, Eigen LDLT); logistic growth is fitted by Levenberg–Marquardt.
// Time is in minutes (double) since the start of the trace: day d is [1440 d, 1440 (d+1)), the week starts at
// minute 0. Deterministic. Cost: fit O(iterations · n · p²) for n samples and p ≈ 2 + changepoints + 14 +
// holiday offsets parameters; components() O(p).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace hearth::policy {

struct SpecialDay {
  std::string name;
  std::vector<std::int64_t> days;  // day indices since minute 0
  int lower_window = 0;            // the effect also covers this many days before each day (>= 0)
  int upper_window = 0;            // ... and this many after (>= 0)
};

enum class TrendGrowth { kLinear, kLogistic };

struct ProphetOptions {
  TrendGrowth growth = TrendGrowth::kLinear;
  double capacity = 0;  // kLogistic: the cap C in y's units, > 0
  int changepoints = 25;
  double changepoint_range = 0.8;
  double changepoint_prior_scale = 0.05;
  int daily_order = 4;   // 0 = off
  int weekly_order = 3;  // 0 = off
  double seasonality_prior_scale = 10;
  double holidays_prior_scale = 10;
  std::vector<SpecialDay> special_days;
  int max_iterations = 30;
};

class ProphetModel {
 public:
  struct Components {
    double trend = 0;
    double daily = 0;
    double weekly = 0;
    double holiday = 0;
    double seasonal() const { return daily + weekly; }
    double total() const { return trend + daily + weekly + holiday; }
  };

  // Throws std::invalid_argument for inconsistent options (negative orders or windows, logistic without a
  // positive capacity, changepoint_range outside (0, 1]).
  explicit ProphetModel(ProphetOptions options);

  // Fits to samples (t[i] minutes, y[i]); t strictly increasing, at least 2 samples (else
  // std::invalid_argument). Refitting replaces the previous fit.
  void fit(std::span<const double> t_minutes, std::span<const double> y);
  bool fitted() const { return fitted_; }

  // The fitted components at minute t (any t: the trend extrapolates with its last rate). 0s before fit.
  Components components(double t_minute) const;
  double predict(double t_minute) const { return components(t_minute).total(); }
  // Linear growth: the trend's slope at t in y units per minute (base rate plus the changes before t).
  double trend_slope(double t_minute) const;

  bool daily_enabled() const { return daily_order_ > 0; }
  bool weekly_enabled() const { return weekly_order_ > 0; }
  const ProphetOptions& options() const { return opt_; }

 private:
  // Seasonal and holiday columns at minute t (layout: daily cos/sin pairs, weekly pairs, holiday offsets).
  void linear_features(double t_minute, double* out) const;
  std::size_t linear_feature_count() const;
  // Trend in scaled units at scaled time ts, for trend parameters (k, m, δ...).
  double trend_scaled(double ts, const double* trend_params) const;

  ProphetOptions opt_;
  bool fitted_ = false;
  int daily_order_ = 0, weekly_order_ = 0;  // effective orders of the last fit
  double t0_ = 0, t_scale_ = 1, y_scale_ = 1;
  std::vector<double> changepoints_;  // scaled times
  std::vector<double> theta_;         // k, m, δ..., then the linear_features coefficients
  struct HolidayColumn {
    std::int64_t day;
    std::size_t column;
  };
  std::vector<HolidayColumn> holiday_columns_;  // one per (special day, offset)
  std::size_t holiday_feature_count_ = 0;
};

}  // namespace hearth::policy
