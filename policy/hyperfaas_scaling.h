// HyperFaaSScaling: HyperFaaS's hierarchical scheduling and multi-phase auto-scaling (Zhang et al.,
// seed 003), as a ScalingPolicy. A node is *under the watermarks* when one more running invocation
// keeps its busy cores <= `cpu` x cores and its used memory <= `memory` x capacity.
//   phase 1 (scale up, in-container scheduler): the global scheduler sends the invocation to the
//     function's primary container (its oldest ready one); if that has a free slot, it runs there; if
//     not and its node is under the watermarks, its slots rise by one at once (more CPU quota, up to
//     `max_slots` and the container's own ContainerLoad::max_slots) and it runs there.
//   phase 2 (bounce and re-place): otherwise the global scheduler takes the first other ready container
//     with a free slot, else the first whose node is under the watermarks (raising its slots by one).
//   phase 3 (scale out, burst buffer): otherwise new containers start in the background so that
//     starting containers x `slots` cover the demand beyond `slots` per ready container (running above
//     `slots` + buffered + this one), and the invocation runs meanwhile in the first ready container
//     below `max_slots` with a free core (over the watermarks), else waits in the buffer.
//   A slot is usable only on a node with a free core. Every tick (`tick`): slots fall back to
//   max(`slots`, running) and idle containers are reclaimed down to max(1, ceil(peak per-tick mean
//   concurrency over `window` / `slots`)); the last container is left to the keep-alive policy.
// Cost: admit O(containers of the function); on_tick O(functions reported x window ticks).
#pragma once

#include <cstdint>

#include "policy/concurrency_window.h"
#include "policy/scaling.h"

namespace hearth::policy {

struct HyperFaaSParams {
  std::int32_t slots = 10;      // concurrency a container starts with and falls back to
  std::int32_t max_slots = 40;  // phase-1 cap per container
  double cpu_watermark = 0.8;
  double memory_watermark = 0.9;
  model::Micros window_us = model::seconds(30);
  model::Micros tick_us = model::seconds(2);
};

class HyperFaaSScaling final : public ScalingPolicy {
 public:
  explicit HyperFaaSScaling(const HyperFaaSParams& params);
  std::string_view name() const override { return "hyperfaas"; }
  std::int32_t initial_slots(const model::FunctionSpec&) const override { return params_.slots; }
  Admission admit(const model::FunctionSpec& fn, const FunctionLoad& load, const model::ClusterView& cluster,
                  model::Micros now) override;
  model::Micros tick_interval() const override { return params_.tick_us; }
  std::vector<ScaleTarget> on_tick(std::span<const TickLoad> loads, model::Micros now) override;

  bool under_watermarks(const model::ClusterView& cluster, model::NodeId node) const;

 private:
  HyperFaaSParams params_;
  std::size_t window_ticks_;
  ConcurrencyWindows windows_;
};

}  // namespace hearth::policy
