// Priority fitting: the weights of Incendio's priority models (policy/priority_model.h) trained from
// history (`hearth incendio fit-priority`; seed 002 §IV: "the weight of each factor ... can be trained
// from historical datasets"). The data: per function, its factor vector (normalised_factors) and its
// observed latency benefit b ≥ 0 (what keeping it warm and running it first would have saved per
// minute; the caller defines it, docs/incendio.md says how the CLI does).
//   linear     min over v ≥ 0, c ≥ 0 of Σ_f (v·x_f + c − b_f)², then w = v / Σv and ε = c / Σv: Eq. 2's
//              weights on the simplex. Scaling a priority by a positive constant changes no ranking and no
//              knapsack choice, so fitting v with a free scale is fitting w with Σ w = 1.
//   loglinear  min over w ∈ [−1, 1]^9 and a free c of Σ_f (c + Σ_i w_i·log(1 + x_fi) − log(1 + b_f))²:
//              Eq. 3 taken logarithmically (the sign of w_i = positive or inverse factor); c, a constant
//              factor on every priority, is dropped.
// Both are bounded least squares solved by cyclic coordinate descent on the normal equations (columns
// scaled to unit norm first; a column that is 0 for every function gets weight 0). A factor equal on every
// function to a later one (CPU when the engine only knows memory / 512, as in every trace) gets weight 0
// and the later one all of it: splitting between identical columns would be arbitrary.
// Pure; no I/O. Cost: O(functions · factors²) to build the normal equations + O(sweeps · factors²).
#pragma once

#include <span>
#include <vector>

#include "policy/priority_model.h"

namespace hearth::policy {

struct LinearFit {
  FactorVector weights{};
  double eps = 0;
};

// Throws std::invalid_argument when the sizes differ, there are no rows, or no factor explains any of
// the benefit (every fitted weight 0).
LinearFit fit_linear_priority(std::span<const FactorVector> factors, std::span<const double> benefit);
FactorVector fit_loglinear_priority(std::span<const FactorVector> factors, std::span<const double> benefit);

// min over lo ≤ x ≤ hi of ‖A x − b‖², A given by rows; lo/hi may be ±infinity. Exposed for tests.
std::vector<double> bounded_least_squares(const std::vector<std::vector<double>>& rows, std::span<const double> b,
                                          std::span<const double> lo, std::span<const double> hi);

}  // namespace hearth::policy
