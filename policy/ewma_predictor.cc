#include "policy/ewma_predictor.h"

#include <cmath>

namespace hearth::policy {

void EwmaSmoother::fold(double count, std::int64_t repeat, double alpha) {
  if (!seeded) {
    level = count;
    seeded = true;
    --repeat;
  }
  if (repeat > 0) level = count + (level - count) * std::pow(1 - alpha, static_cast<double>(repeat));
}

}  // namespace hearth::policy
