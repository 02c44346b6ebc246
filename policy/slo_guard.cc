#include "policy/slo_guard.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace hearth::policy {

SloGuard::SloGuard(const SloGuardConfig& c) : c_(c) {
  if (c.default_us < 0) throw std::invalid_argument("SLO guard: slo " + std::to_string(c.default_us) + "us is negative");
  if (!(c.fraction >= 0 && c.fraction <= 1))
    throw std::invalid_argument("SLO guard: slo-fraction " + std::to_string(c.fraction) + " is not in [0, 1]");
  if (!(c.approach >= 0 && c.approach <= 1))
    throw std::invalid_argument("SLO guard: slo-approach " + std::to_string(c.approach) + " is not in [0, 1]");
}

model::Micros SloGuard::slo_us(model::Micros cold_start_us) const {
  const auto adaptive = static_cast<model::Micros>(std::llround(c_.fraction * static_cast<double>(cold_start_us)));
  return std::max(c_.default_us, adaptive);
}

model::Micros SloGuard::urgent_after_us(model::Micros cold_start_us) const {
  return static_cast<model::Micros>(std::llround(c_.approach * static_cast<double>(slo_us(cold_start_us))));
}

}  // namespace hearth::policy
