#include "policy/knative_scaling.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace hearth::policy {
namespace {

// (Runs in the constructor's initialisers, before the tick is validated: a tick <= 0 gives 1.)
std::size_t window_ticks(model::Micros window, model::Micros tick) {
  if (tick <= 0) return 1;
  return static_cast<std::size_t>(std::max<model::Micros>(1, (window + tick - 1) / tick));
}

}  // namespace

KnativeScaling::KnativeScaling(const KnativeParams& params)
    : params_(params),
      stable_ticks_(window_ticks(params.stable_window_us, params.tick_us)),
      panic_ticks_(window_ticks(params.panic_window_us, params.tick_us)),
      windows_(std::max(stable_ticks_, panic_ticks_)) {
  if (params.tick_us <= 0) throw std::invalid_argument("scaling 'knative': tick must be positive");
  if (!(params.target > 0)) throw std::invalid_argument("scaling 'knative': target must be positive");
  if (params.container_concurrency < 1) throw std::invalid_argument("scaling 'knative': cc must be at least 1");
  if (params.panic_window_us > params.stable_window_us)
    throw std::invalid_argument("scaling 'knative': the panic window must not exceed the stable window");
  if (!(params.max_scale_down_rate >= 1)) throw std::invalid_argument("scaling 'knative': scale_down_rate must be >= 1");
}

Admission KnativeScaling::admit(const model::FunctionSpec&, const FunctionLoad& load,
                                const model::ClusterView& cluster, model::Micros) {
  return admit_least_loaded(load, cluster);
}

std::vector<ScaleTarget> KnativeScaling::on_tick(std::span<const TickLoad> loads, model::Micros now) {
  const std::int64_t tick = windows_.record(loads, now, params_.tick_us);
  std::vector<ScaleTarget> targets;
  for (const TickLoad& l : loads) {
    if (state_.size() <= l.function) state_.resize(l.function + 1);
    State& s = state_[l.function];
    const double stable = windows_.mean(l.function, tick, stable_ticks_);
    const double panic = windows_.mean(l.function, tick, panic_ticks_);
    const std::int32_t live = l.ready + l.starting;
    const bool over = panic / params_.target >= params_.panic_threshold * std::max(1, l.ready);
    if (over) {
      if (!s.panicking) s.panic_max_desired = 0;
      s.panicking = true;
      s.panic_refreshed_us = now;
    } else if (s.panicking && now - s.panic_refreshed_us >= params_.stable_window_us) {
      s.panicking = false;
    }
    std::int32_t desired;
    if (s.panicking) {
      desired = std::max({ceil_count(panic / params_.target), s.panic_max_desired, live});
      s.panic_max_desired = desired;
    } else {
      desired = std::max(ceil_count(stable / params_.target),
                         static_cast<std::int32_t>(std::floor(l.ready / params_.max_scale_down_rate)));
    }
    if (desired == 0 && live > 0) {
      if (s.zero_since_us == model::kNever) s.zero_since_us = now;
      if (now - s.zero_since_us < params_.scale_to_zero_grace_us) desired = 1;
    } else if (desired > 0) {
      s.zero_since_us = model::kNever;
    }
    targets.push_back(ScaleTarget{l.function, desired, 0});
  }
  return targets;
}

}  // namespace hearth::policy
