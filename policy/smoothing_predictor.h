// SmoothingPredictor<Smoother>: an ArrivalPredictor that bins each function's arrivals per minute
// (policy/minute_counts.h) and hands every complete minute to that function's Smoother, whose forecast
// is the prediction. The minute holding `now` is partial and not used; a function that never arrived
// predicts 0. A Smoother is a small value type:
//   static constexpr const char* kName;                       the predictor's registry name
//   void fold(double count, std::int64_t repeat, double alpha);   `repeat` complete minutes of `count`
//   double forecast(double alpha) const;                       expected arrivals in the minute after now's
//   bool seeded;                                               a complete minute has been folded
// Deterministic; no I/O, no clock. Cost: O(1) per call plus the Smoother's; memory O(functions).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "policy/arrival_predictor.h"
#include "policy/minute_counts.h"

namespace hearth::policy {

template <class Smoother>
class SmoothingPredictor final : public ArrivalPredictor {
 public:
  explicit SmoothingPredictor(double alpha) : alpha_(alpha) {}
  std::string_view name() const override { return Smoother::kName; }
  void on_arrival(model::FunctionId fn, model::Micros now) override {
    if (fn >= states_.size()) states_.resize(std::size_t{fn} + 1);
    State& s = states_[fn];
    s.bins.add(now, [&](std::uint32_t c, std::int64_t k) { s.smoother.fold(c, k, alpha_); });
  }
  void prefetch(model::FunctionId fn) const override {
    if (fn < states_.size()) __builtin_prefetch(&states_[fn]);
  }
  double predict_next_minute(model::FunctionId fn, model::Micros now) override {
    if (fn >= states_.size()) return 0;
    State& s = states_[fn];
    s.bins.roll(now, [&](std::uint32_t c, std::int64_t k) { s.smoother.fold(c, k, alpha_); });
    return s.smoother.seeded ? s.smoother.forecast(alpha_) : 0;
  }

 private:
  struct State {
    MinuteCounts bins;
    Smoother smoother;
  };
  double alpha_;
  std::vector<State> states_;
};

}  // namespace hearth::policy
