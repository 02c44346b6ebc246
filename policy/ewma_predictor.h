// EwmaPredictor: the exponentially weighted moving average of a function's arrivals per minute as the
// forecast of the next minute (a baseline of Incendio's Fig. 17, seed 002):
//   s ← α·x + (1 − α)·s over complete minutes x (the first complete minute sets s = x); predict = s.
// A run of k minutes holding c each folds in closed form: s ← c + (s − c)·(1 − α)^k (a silence is O(1)).
// 0 < α ≤ 1 (the registry checks it). Binning and the rest: policy/smoothing_predictor.h.
// Deterministic; no I/O, no clock. Cost: O(1) per call; memory O(functions).
#pragma once

#include <cstdint>

#include "policy/smoothing_predictor.h"

namespace hearth::policy {

struct EwmaSmoother {
  static constexpr const char* kName = "ewma";
  double level = 0;
  bool seeded = false;
  void fold(double count, std::int64_t repeat, double alpha);
  double forecast(double alpha) const { return (void)alpha, level; }
};

using EwmaPredictor = SmoothingPredictor<EwmaSmoother>;

}  // namespace hearth::policy
