#include "policy/hpa_scaling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace hearth::policy {

HpaScaling::HpaScaling(const HpaParams& params) : params_(params) {
  if (!(params.target > 0)) throw std::invalid_argument("scaling 'hpa': target must be positive");
  if (!(params.tolerance >= 0)) throw std::invalid_argument("scaling 'hpa': tolerance must be 0 or positive");
  if (params.cores < 1) throw std::invalid_argument("scaling 'hpa': cores must be at least 1");
  if (params.container_concurrency < 0) throw std::invalid_argument("scaling 'hpa': cc must be 0 (unlimited) or positive");
  if (params.min_replicas < 1) throw std::invalid_argument("scaling 'hpa': min must be at least 1");
  if (params.max_replicas < params.min_replicas) throw std::invalid_argument("scaling 'hpa': max must be >= min");
  if (params.sync_us <= 0) throw std::invalid_argument("scaling 'hpa': sync must be positive");
  if (params.down_window_us < 0) throw std::invalid_argument("scaling 'hpa': down must be 0 or positive");
  if (params.up_period_us <= 0) throw std::invalid_argument("scaling 'hpa': period must be positive");
  if (!(params.up_percent >= 0) || params.up_pods < 0)
    throw std::invalid_argument("scaling 'hpa': up_percent and up_pods must be 0 or positive");
}

std::int32_t HpaScaling::initial_slots(const model::FunctionSpec&) const {
  return params_.container_concurrency > 0 ? params_.container_concurrency : std::numeric_limits<std::int32_t>::max();
}

Admission HpaScaling::admit(const model::FunctionSpec&, const FunctionLoad& load, const model::ClusterView& cluster,
                            model::Micros) {
  return admit_least_loaded(load, cluster);
}

std::int32_t HpaScaling::recommend(const TickLoad& l) const {
  const std::int32_t current = l.ready + l.starting;
  if (l.ready == 0) return current;  // no metrics yet
  const double per_pod = static_cast<double>(params_.cores) * params_.target;
  const double ratio = l.mean_cores_used / (l.ready * per_pod);
  if (std::abs(ratio - 1) <= params_.tolerance) return current;
  if (ratio > 1 && l.starting > 0) {
    // Pods not yet ready are assumed to use nothing when scaling up.
    const double again = l.mean_cores_used / (current * per_pod);
    if (again <= 1 + params_.tolerance) return current;
    return ceil_count(again * current);
  }
  return ceil_count(ratio * l.ready);
}

std::int32_t HpaScaling::desired(State& s, const TickLoad& l, model::Micros now) {
  const std::int32_t current = l.ready + l.starting;
  const std::int32_t rec = std::clamp(recommend(l), params_.min_replicas, params_.max_replicas);
  // Scale-down stabilisation: the highest recommendation within the window (this one included).
  while (!s.recommendations.empty() && s.recommendations.front().at_us <= now - params_.down_window_us)
    s.recommendations.pop_front();
  s.recommendations.push_back(Sample{now, rec});
  std::int32_t down = rec;
  for (const Sample& r : s.recommendations) down = std::max(down, r.replicas);
  std::int32_t d = current;
  if (d < rec) d = rec;    // scale-up window 0: the recommendation itself
  if (d > down) d = down;  // scale-down: no lower than the window's highest
  if (d > current) {
    // Scale-up policies over the last period: from the count a period ago, +up_percent % or +up_pods.
    while (!s.scale_ups.empty() && s.scale_ups.front().at_us <= now - params_.up_period_us) s.scale_ups.pop_front();
    std::int32_t added = 0;
    for (const Sample& u : s.scale_ups) added += u.replicas;
    const std::int32_t base = std::max(0, current - added);
    const auto by_percent = static_cast<std::int64_t>(std::ceil(base * (1 + params_.up_percent / 100.0) - 1e-9));
    const std::int64_t limit = std::max<std::int64_t>(by_percent, static_cast<std::int64_t>(base) + params_.up_pods);
    d = static_cast<std::int32_t>(std::min<std::int64_t>(d, std::max<std::int64_t>(limit, current)));
    if (d > current) s.scale_ups.push_back(Sample{now, d - current});
  }
  return d;
}

std::vector<ScaleTarget> HpaScaling::on_tick(std::span<const TickLoad> loads, model::Micros now) {
  std::vector<ScaleTarget> targets;
  for (const TickLoad& l : loads) {
    if (state_.size() <= l.function) state_.resize(l.function + 1);
    State& s = state_[l.function];
    if (l.ready + l.starting == 0) {  // no pod: autoscaling is off until one exists again
      s = State{};
      targets.push_back(ScaleTarget{l.function, 0, 0});
      continue;
    }
    targets.push_back(ScaleTarget{l.function, desired(s, l, now), 0});
  }
  return targets;
}

}  // namespace hearth::policy
