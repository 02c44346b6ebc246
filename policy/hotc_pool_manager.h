// HotcPoolManager: HotC's live-container pool (Suo et al., "HotC: Hot Container"; the HotC baseline of
// seed 002 §VIII-A: "exponential smoothing to predict function arrival and the Markov chain method to
// allocate resources"). Every interval, for each function f:
//   λ        = the predictor's forecast of f's arrivals in the next minute (HotC's: exp-smoothing,
//              policy/exp_smoothing_predictor.h), corrected by f's Markov chain of past relative errors
//              (policy/markov_error_correction.h: the forecast made for each complete minute against the
//              arrivals it held)
//   target   = 0 if λ < min, else max(1, ⌈λ · Exec / 60 s⌉)   (live containers the predicted load needs)
//   live     = running (f's requests holding a busy container) + idle (f's idle containers)
//   live < target: prewarm target − live where memory allows; live > target: terminate up to
//   live − target idle containers, but never those f's waiting requests (arrived, not started) will take. HotC has no priorities: when memory runs short, the functions with
//   the larger corrected forecast are prewarmed first (ties by id).
// docs/incendio.md ("HotC baseline") says what of HotC's paper is known and what was chosen.
// Deterministic; no I/O. Cost per tick: O(functions · (nodes + states + predictor) + prewarms · nodes).
#pragma once

#include <array>
#include <memory>
#include <string_view>
#include <vector>

#include "policy/markov_error_correction.h"
#include "policy/minute_counts.h"
#include "policy/predictive_pool_manager.h"

namespace hearth::policy {

struct HotcPoolParams {
  model::Micros interval_us = model::kMicrosPerMinute;
  double min_arrivals = 0.1;                            // corrected forecasts below this: target 0
  std::vector<double> bounds = {-0.5, -0.1, 0.1, 0.5};  // the Markov chain's error states
};

class HotcPoolManager final : public PredictivePoolManager {
 public:
  HotcPoolManager(std::unique_ptr<ArrivalPredictor> predictor, const HotcPoolParams& params);
  std::string_view name() const override { return "hotc"; }
  void on_arrival(const model::Invocation& inv, model::Micros now) override;
  std::vector<PoolAction> on_tick(const model::ClusterView& view, model::Micros now) override;
  // f's corrected forecast as of the last tick (for tests and reports).
  double corrected(model::FunctionId fn) const;

 private:
  struct Series {
    MinuteCounts bins;
    std::int64_t next_minute = 0;  // the minute the next fold starts at
    // Forecasts not yet scored, by the minute they are for (-1: free): a tick in minute m forecasts m + 1
    // while m's own forecast is still pending, so two are pending at most.
    std::array<std::int64_t, 2> forecast_minute{-1, -1};
    std::array<double, 2> forecast{0, 0};
    double corrected = 0;
    MarkovErrorCorrection chain;
  };
  Series& series(model::FunctionId fn);
  void roll(Series& s, model::Micros now, bool arrival);

  HotcPoolParams params_;
  std::vector<Series> series_;
};

}  // namespace hearth::policy
