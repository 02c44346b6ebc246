// The WAPE of arrival predictors on a trace (Incendio Fig. 17's metric): every model sees every arrival; for
// each minute m of the held-out part (m >= train_minutes) it is asked, before m's arrivals, for each function's
// arrivals in m (predict_next_minute at the last microsecond of m − 1); then
//   WAPE = Σ_{m, f} |y − ŷ| / Σ_{m, f} y   over held-out minutes m and every function f of the trace.
// Also per held-out day (1440-minute blocks from minute 0) and the wall time each model's calls took.
// Cost: O(invocations · models) feeding plus O(minutes · functions · models) predicting.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "policy/arrival_predictor.h"
#include "trace/workload.h"

namespace hearth::cli {

struct PredictScore {
  std::string model;
  double abs_error = 0;
  double actual = 0;
  double predicted = 0;
  double seconds = 0;  // wall time in on_arrival + predict_next_minute
  double wape() const { return actual > 0 ? abs_error / actual : 0; }
};

struct PredictReport {
  std::int64_t train_minutes = 0;
  std::int64_t test_minutes = 0;
  std::vector<PredictScore> total;                  // one per model
  std::vector<std::vector<PredictScore>> per_day;   // [day index][model]; days holding held-out minutes
  std::vector<std::int64_t> days;                   // the day index (0-based) of each per_day row
};

// Streams `w` once through every model. `end_minute` 0 = the trace's span (or its last arrival).
PredictReport evaluate_predictors(trace::Workload& w, std::vector<std::unique_ptr<policy::ArrivalPredictor>>& models,
                                  std::int64_t train_minutes, std::int64_t end_minute = 0);

// "hybrid:rounds=50,eta=0.2,xgboost,histogram" → {"hybrid:rounds=50,eta=0.2", "xgboost", "histogram"}: a
// comma-separated item holding '=' but no ':' continues the previous spec's parameters.
std::vector<std::string> split_model_specs(const std::string& text);

}  // namespace hearth::cli
