// ExpSmoothingPredictor: HotC's arrival prediction (Suo et al., "HotC: Hot Container", the baseline of
// Incendio, seed 002 §VIII-A): Brown's double (second-order) exponential smoothing of a function's
// arrivals per minute, which follows a trend as well as a level:
//   S1 ← α·x + (1 − α)·S1,   S2 ← α·S1 + (1 − α)·S2          over complete minutes x (both start at the
//   a = 2·S1 − S2,  b = α/(1 − α)·(S1 − S2),  ŷ(T) = a + b·T    first complete minute's count)
// The last complete minute is the one before `now`'s, the predicted one the one after it: T = 2.
// Predictions are clamped at 0 (a falling trend can cross it). A silence folds minute by minute until
// both S1 and S2 are below 1e-12, then is 0 (so its cost is bounded by log(1e-12 / S) / log(1 − α)).
// 0 < α < 1 (the registry checks it). Binning and the rest: policy/smoothing_predictor.h.
// HotC's Markov-chain correction of this forecast lives in its pool manager (policy/hotc_pool_manager.h).
// docs/incendio.md ("HotC baseline") says what of HotC is known and what was chosen.
// Deterministic; no I/O, no clock. Cost: O(1) amortised per call; memory O(functions).
#pragma once

#include <cstdint>

#include "policy/smoothing_predictor.h"

namespace hearth::policy {

struct BrownSmoother {
  static constexpr const char* kName = "exp-smoothing";
  double s1 = 0, s2 = 0;
  bool seeded = false;
  void fold(double count, std::int64_t repeat, double alpha);
  double forecast(double alpha) const;
};

using ExpSmoothingPredictor = SmoothingPredictor<BrownSmoother>;

}  // namespace hearth::policy
