// HistogramArrivalPredictor: Hearth's hybrid histogram (Shahrad et al., ATC'20; policy/hybrid_histogram_keepalive.h)
// turned into a next-minute arrival expectation, as a baseline for Incendio's predictor.
// Per function (the keep-alive policy keeps one per app) a histogram of idle times in 1-minute bins over
// `range` (4 h): the idle time is the number of minutes from one minute with arrivals to the next one
// (executions are not seen by a predictor, so the idle period starts at the arrival's minute; 1 = the
// very next minute), beyond the range out of bounds. For the target minute τ, d = τ − (last active minute):
//   P(active at τ) = H[d] / (Σ_{k ≥ d} H[k] + out-of-bounds)   (the histogram's hazard: the probability the
//                                                              idle time ends at τ given it lasted until τ)
//   E[arrivals at τ] = P(active at τ) × (mean arrivals per active minute)
// When the histogram is not representative by the keep-alive policy's rules (fewer than min_samples idle
// times, coefficient of variation above max_cv, more than half out of bounds) the expectation is the
// function's mean arrivals per minute since its first arrival (where Shahrad et al. switch to ARIMA).
// Cost: on_arrival O(1); predict O(range in minutes) for the tail sum (240 adds at the default 4 h).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "policy/arrival_predictor.h"
#include "policy/hybrid_histogram_keepalive.h"

namespace hearth::policy {

class HistogramArrivalPredictor final : public ArrivalPredictor {
 public:
  HistogramArrivalPredictor(std::span<const model::FunctionSpec> functions, HybridHistogramParams params);
  std::string_view name() const override { return "histogram"; }
  void on_function_added(const model::FunctionSpec& fn) override;
  void on_arrival(model::FunctionId fn, model::Micros now) override;
  double predict_next_minute(model::FunctionId fn, model::Micros now) override;

 private:
  struct State {
    std::vector<std::uint32_t> bins;  // bins[k]: idle times of k minutes (k = 1 .. range)
    std::uint64_t in_range = 0, out_of_bounds = 0;
    double sum = 0, sum_sq = 0;  // of the in-range idle times, minutes
    std::int64_t first_minute = -1, last_minute = -1;
    std::uint64_t arrivals = 0, active_minutes = 0;
  };
  State& state(model::FunctionId fn);

  HybridHistogramParams p_;
  std::size_t bins_;
  std::vector<State> fns_;
};

}  // namespace hearth::policy
