#include "policy/exp_smoothing_predictor.h"

#include <algorithm>

namespace hearth::policy {

void BrownSmoother::fold(double x, std::int64_t repeat, double alpha) {
  if (!seeded) {
    s1 = s2 = x;
    seeded = true;
    --repeat;
  }
  for (; repeat > 0; --repeat) {
    s1 = alpha * x + (1 - alpha) * s1;
    s2 = alpha * s1 + (1 - alpha) * s2;
    if (x == 0 && s1 < 1e-12 && s2 < 1e-12) {  // the rest of a silence changes nothing that counts
      s1 = s2 = 0;
      break;
    }
  }
}

double BrownSmoother::forecast(double alpha) const {
  const double a = 2 * s1 - s2, b = alpha / (1 - alpha) * (s1 - s2);
  return std::max(0.0, a + 2 * b);
}

}  // namespace hearth::policy
