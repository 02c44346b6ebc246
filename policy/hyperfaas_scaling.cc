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
  if (params.cores < 1) throw std::invalid_argument("scaling 'hyperfaas': cores must be at least 1");
  if (params.worker_mb < 0) throw std::invalid_argument("scaling 'hyperfaas': worker_mb must be 0 or positive");
  if (!(params.cpu_watermark > 0 && params.cpu_watermark <= 1) ||
      !(params.memory_watermark > 0 && params.memory_watermark <= 1))
    throw std::invalid_argument("scaling 'hyperfaas': watermarks must be in (0, 1]");
  if (!(params.persist >= 0)) throw std::invalid_argument("scaling 'hyperfaas': persist must be 0 or positive");
  if (!(params.low >= 0 && params.low <= 1)) throw std::invalid_argument("scaling 'hyperfaas': low must be in [0, 1]");
}

bool HyperFaaSScaling::under_watermarks(const model::ClusterView& cluster, const ContainerLoad& c, bool worker) const {
  const model::NodeState& n = cluster.nodes()[c.node];
  const int more_cores = c.active < c.cores ? 1 : 0;  // past its quota it stretches, holding no more cores
  const model::MegaBytes more_mb = worker ? params_.worker_mb : 0;
  return static_cast<double>(n.busy_cores + more_cores) <= params_.cpu_watermark * n.cores &&
         static_cast<double>(n.used_mb + more_mb) <= params_.memory_watermark * static_cast<double>(n.capacity_mb);
}

bool HyperFaaSScaling::lends(const ContainerLoad& host) const {
  return params_.low > 0 && static_cast<double>(host.active) <= params_.low * host.cores;
}

bool HyperFaaSScaling::overloaded(const model::FunctionSpec& fn, model::Micros now) {
  if (overload_.size() <= fn.id) overload_.resize(fn.id + 1);
  Overload& o = overload_[fn.id];
  if (o.since_us == model::kNever || now - o.last_us > params_.tick_us) o.since_us = now;  // a new overload
  o.last_us = now;
  return static_cast<double>(now - o.since_us) >= params_.persist * static_cast<double>(fn.cold_start_us);
}

Admission HyperFaaSScaling::admit(const model::FunctionSpec& fn, const FunctionLoad& load,
                                  const model::ClusterView& cluster, model::Micros now) {
  const auto run = [](const ContainerLoad& c, std::int32_t slots, std::uint8_t phase) {
    Admission a;
    a.container = c.id;
    a.slots = slots;
    a.phase = phase;
    return a;
  };
  const auto cap = [&](const ContainerLoad& c) { return std::min(params_.max_slots, c.max_slots); };
  const auto raisable = [&](const ContainerLoad& c) {
    return c.slots < cap(c) && under_watermarks(cluster, c, /*worker=*/true);
  };
  // The global scheduler's choice: the oldest ready container with CPU quota to spare (below its cores,
  // on a node with a free core), else the least stretched one (lowest running / cores).
  const ContainerLoad* primary = nullptr;
  for (const ContainerLoad& c : load.containers)
    if (c.ready && c.active < c.cores && has_free_core(cluster, c.node)) {
      primary = &c;
      break;
    }
  if (!primary)
    for (const ContainerLoad& c : load.containers)
      if (c.ready && (!primary || static_cast<std::int64_t>(c.active) * primary->cores <
                                      static_cast<std::int64_t>(primary->active) * c.cores))
        primary = &c;
  // Phase 1: the primary container's in-container scheduler admits, adding a worker if needed.
  if (primary && can_run(cluster, *primary)) {
    if (primary->active < primary->slots) return run(*primary, primary->slots, 1);
    if (raisable(*primary)) return run(*primary, primary->slots + 1, 1);
  }
  // Phase 2: bounced to the global scheduler, which re-places it on another container of the function.
  for (const ContainerLoad& c : load.containers)
    if (&c != primary && c.ready && c.active < c.slots && can_run(cluster, c)) return run(c, c.slots, 2);
  for (const ContainerLoad& c : load.containers)
    if (&c != primary && c.ready && can_run(cluster, c) && raisable(c)) return run(c, c.slots + 1, 2);
  // Beyond phase 1 and the function's own containers: the demand the ready ones cannot serve at `slots`.
  std::int32_t overflow = 0, starting = 0, starting_slots = 0;
  const ContainerLoad* buffer = nullptr;
  for (const ContainerLoad& c : load.containers) {
    if (!c.ready) {
      ++starting;
      starting_slots += c.slots;
      continue;
    }
    overflow += std::max(0, c.active - params_.slots);
    // The burst buffer: a worker past the watermarks, if its memory fits the node at all.
    const model::NodeState& n = cluster.nodes()[c.node];
    const bool worker_fits = c.active < c.slots || n.used_mb + params_.worker_mb <= n.capacity_mb;
    if (!buffer && c.active < cap(c) && can_run(cluster, c) && worker_fits) buffer = &c;
  }
  const std::int32_t demand = overflow + load.buffered + 1;
  Admission a = buffer ? run(*buffer, std::max(buffer->slots, buffer->active + 1), 3) : Admission{};
  a.phase = 3;
  if (load.containers.empty() || overloaded(fn, now)) {
    // Phase 3: the spike persists (or nothing exists to buffer it): containers start in the background.
    const std::int32_t needed = (demand + params_.slots - 1) / params_.slots;
    a.scale_out = std::max(0, needed - starting);
  } else if (params_.low > 0) {
    // Phase 2, multiplexing: borrowed workers of under-utilised containers cover the demand meanwhile.
    a.multiplex = std::max(0, demand - starting_slots);
    if (!a.container) a.phase = 2;
  }
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
