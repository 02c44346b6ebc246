// SloGuard: Incendio's fairness rule (§VI-D of seed 002). A request's SLO is on its response latency
// (arrival → scheduled, execution excluded): SLO = max(default, fraction × its function's cold start),
// the paper's default 500 ms and fraction 30 %. A request "approaches" its SLO once its wait reaches
// `approach` × SLO (default 0.9: within the last 10 % of it); the scheduler then starts it before
// anything the solver chooses. All three are configurable (incendio:slo=..,slo-fraction=..,slo-approach=..).
// Deterministic; no I/O. Cost: O(1) per request.
#pragma once

#include "model/time.h"

namespace hearth::policy {

struct SloGuardConfig {
  model::Micros default_us = 500 * model::kMicrosPerMilli;
  double fraction = 0.3;
  double approach = 0.9;
};

class SloGuard {
 public:
  // Throws std::invalid_argument naming the bad value (negative default, fraction or approach outside [0, 1]).
  explicit SloGuard(const SloGuardConfig& c);
  model::Micros slo_us(model::Micros cold_start_us) const;
  // The wait at which a request of a function with this cold start becomes urgent.
  model::Micros urgent_after_us(model::Micros cold_start_us) const;
  bool urgent(model::Micros wait_us, model::Micros cold_start_us) const {
    return wait_us >= urgent_after_us(cold_start_us);
  }
  const SloGuardConfig& config() const { return c_; }

 private:
  SloGuardConfig c_;
};

}  // namespace hearth::policy
