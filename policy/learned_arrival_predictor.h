// LearnedArrivalPredictor: next-minute arrivals per function from one gradient-boosted model trained on every
// function's feature rows (a global model), Incendio's hybrid Prophet–LightGBM predictor (§V) with XGBoost
// standing in for LightGBM (policy/xgboost_regressor.h):
//   "hybrid"  (prophet_features = true): features = the function's Prophet components (trend, seasonal,
//             holiday, their sum) at the target minute + its recent counts;
//   "xgboost" (prophet_features = false): the recent counts only — the paper's "LightGBM alone".
// Recent counts (lags) of the target minute τ: counts at τ−1, τ−2, τ−3, the means over [τ−10, τ) and
// [τ−60, τ), the count at τ−1440 and the mean over τ−1440 ± 5 minutes (missing before a day of history).
// Training: first once `first_fit` of history has been seen, then every `refit_every` (default: once per
// simulated day), on all the history so far: per function a ProphetModel fitted to its counts in
// `bucket_minutes` buckets (functions with fewer than `min_prophet_arrivals` arrivals get zero Prophet
// features), then one XGBoost model on up to `max_rows` (function, minute) rows drawn by a seeded RNG.
// Hybrid stacking: the rows come from the last H = min(refit_every, history / 4) minutes and their Prophet
// features from a fit on the history before them (out of sample, as at prediction time); Prophet is then
// refitted on all the history for the predictions. xgboost uses rows from all the history.
// Until the first fit the prediction is the last minute's count. Deterministic given the arrivals and seed.
// Cost: on_arrival O(1); the first predict_next_minute of a minute builds all functions' rows and predicts
// them in one XGBoost call (O(functions · rounds · depth)), later calls that minute are a lookup; a fit
// costs O(functions · Prophet fit + max_rows · rounds · features) — see BENCHMARKS.md.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "policy/arrival_history.h"
#include "policy/arrival_predictor.h"
#include "policy/prophet_model.h"
#include "policy/xgboost_regressor.h"

namespace hearth::policy {

struct LearnedPredictorParams {
  bool prophet_features = true;
  model::Micros first_fit = model::kMicrosPerHour * 24;
  model::Micros refit_every = model::kMicrosPerHour * 24;
  int bucket_minutes = 10;
  std::int64_t min_prophet_arrivals = 100;
  std::int64_t max_rows = 100'000;
  // Prophet: growth and, for logistic growth, the capacity as a multiple of the function's largest bucket.
  TrendGrowth growth = TrendGrowth::kLinear;
  double capacity_factor = 2.0;
  std::vector<SpecialDay> special_days;
  XgbParams xgb{.rounds = 100, .tree_method = "hist"};
  std::uint64_t seed = 1;
};

class LearnedArrivalPredictor final : public ArrivalPredictor {
 public:
  LearnedArrivalPredictor(std::span<const model::FunctionSpec> functions, LearnedPredictorParams params);
  std::string_view name() const override { return p_.prophet_features ? "hybrid" : "xgboost"; }
  void on_function_added(const model::FunctionSpec& fn) override;
  void on_arrival(model::FunctionId fn, model::Micros now) override;
  double predict_next_minute(model::FunctionId fn, model::Micros now) override;

  // Fits now on every minute before `end_minute` (what predict does when a fit is due).
  void fit(std::int64_t end_minute);
  std::size_t feature_count() const;
  std::int64_t fits() const { return fits_; }
  const XgbRegressor& model() const { return xgb_; }
  // The feature row of (fn, target minute) as the model sees it (for tests and the report).
  std::vector<float> features(model::FunctionId fn, std::int64_t target_minute) const;

 private:
  void predict_all(std::int64_t target_minute);
  // Prophet per function on its counts of minutes [0, end) in buckets.
  void fit_prophet(std::int64_t end);
  void row(model::FunctionId fn, std::int64_t target, float* out) const;

  LearnedPredictorParams p_;
  ArrivalHistory history_;
  std::vector<std::unique_ptr<ProphetModel>> prophet_;  // per function; null: no Prophet features
  XgbRegressor xgb_;
  std::int64_t last_fit_minute_ = -1;
  std::int64_t fits_ = 0;
  std::int64_t cached_target_ = -1;
  std::vector<double> cached_;
  std::vector<float> batch_;
};

}  // namespace hearth::policy
