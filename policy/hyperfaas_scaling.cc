#include "policy/hyperfaas_scaling.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace hearth::policy {

HyperFaaSScaling::HyperFaaSScaling(const HyperFaaSParams& params)
    : params_(params),
      window_ticks_(static_cast<std::size_t>(
          params.tick_us > 0 ? std::max<model::Micros>(1, (params.window_us + params.tick_us - 1) / params.tick_us) : 1)),
      windows_(window_ticks_) {
  if (params.tick_us <= 0) throw std::invalid_argument("scaling 'hyperfaas': tick must be positive");
  if (params.slots < 1) throw std::invalid_argument("scaling 'hyperfaas': slots must be at least 1");
  if (params.max_slots < params.slots) throw std::invalid_argument("scaling 'hyperfaas': max_slots must be >= slots");
  if (!(params.cpu_watermark > 0 && params.cpu_watermark <= 1) ||
      !(params.memory_watermark > 0 && params.memory_watermark <= 1))
    throw std::invalid_argument("scaling 'hyperfaas': watermarks must be in (0, 1]");
}

bool HyperFaaSScaling::under_watermarks(const model::ClusterView& cluster, model::NodeId node) const {
  const model::NodeState& n = cluster.nodes()[node];
  return static_cast<double>(n.busy_cores + 1) <= params_.cpu_watermark * n.cores &&
         static_cast<double>(n.used_mb) <= params_.memory_watermark * static_cast<double>(n.capacity_mb);
}

Admission HyperFaaSScaling::admit(const model::FunctionSpec&, const FunctionLoad& load,
                                  const model::ClusterView& cluster, model::Micros) {
  const auto run = [](const ContainerLoad& c, std::int32_t slots, std::uint8_t phase) {
    Admission a;
    a.container = c.id;
    a.slots = slots;
    a.phase = phase;
    return a;
  };
  const auto raisable = [&](const ContainerLoad& c) {
    return c.slots < std::min(params_.max_slots, c.max_slots) && under_watermarks(cluster, c.node);
  };
  const ContainerLoad* primary = nullptr;
  for (const ContainerLoad& c : load.containers)
    if (c.ready) {
      primary = &c;
      break;
    }
  // Phase 1: the primary container's in-container scheduler admits, raising its quota if needed.
  if (primary && has_free_core(cluster, primary->node)) {
    if (primary->active < primary->slots) return run(*primary, primary->slots, 1);
    if (raisable(*primary)) return run(*primary, primary->slots + 1, 1);
  }
  // Phase 2: bounced to the global scheduler, which re-places it on another container.
  for (const ContainerLoad& c : load.containers)
    if (&c != primary && c.ready && c.active < c.slots && has_free_core(cluster, c.node)) return run(c, c.slots, 2);
  for (const ContainerLoad& c : load.containers)
    if (&c != primary && c.ready && has_free_core(cluster, c.node) && raisable(c)) return run(c, c.slots + 1, 2);
  // Phase 3: scale out in the background; a phase-1 container buffers the burst meanwhile.
  std::int32_t overflow = 0, starting = 0;
  const ContainerLoad* buffer = nullptr;
  for (const ContainerLoad& c : load.containers) {
    if (!c.ready) {
      ++starting;
      continue;
    }
    overflow += std::max(0, c.active - params_.slots);
    if (!buffer && c.active < std::min(params_.max_slots, c.max_slots) && has_free_core(cluster, c.node)) buffer = &c;
  }
  const std::int32_t demand = overflow + load.buffered + 1;
  const std::int32_t needed = (demand + params_.slots - 1) / params_.slots;
  Admission a = buffer ? run(*buffer, std::max(buffer->slots, buffer->active + 1), 3) : Admission{};
  a.phase = 3;
  a.scale_out = std::max(0, needed - starting);
  return a;
}

std::vector<ScaleTarget> HyperFaaSScaling::on_tick(std::span<const TickLoad> loads, model::Micros now) {
  const std::int64_t tick = windows_.record(loads, now, params_.tick_us);
  std::vector<ScaleTarget> targets;
  for (const TickLoad& l : loads) {
    const double peak = windows_.max(l.function, tick, window_ticks_);
    const auto keep = std::max<std::int32_t>(
        1, static_cast<std::int32_t>(std::ceil(peak / static_cast<double>(params_.slots) - 1e-9)));
    // Reclaim only: scale-out happens at admission (phase 3).
    targets.push_back(ScaleTarget{l.function, std::min(keep, l.ready + l.starting), params_.slots});
  }
  return targets;
}

}  // namespace hearth::policy
