// HyperFaaSScaling: HyperFaaS's hierarchical scheduling and multi-phase auto-scaling (Zhang et al.,
// seed 003), as a ScalingPolicy.
//   A container has a CPU quota of `cores` cores and one worker per slot; its running invocations share
//   the quota (an invocation past it stretches the others: policy/scaling.h), and each worker beyond the
//   first holds `worker_mb` MB. A node is *under the watermarks* for one more invocation in container c
//   when the cores c would then hold keep the node's busy cores <= `cpu` x cores and the worker's memory
//   keeps its used memory <= `memory` x capacity.
//   phase 1 (scale up, in-container scheduler): the global scheduler sends the invocation to the
//     function's primary container: its oldest ready one with quota to spare (running < cores, on a node
//     with a free core), else the least stretched (lowest running / cores); if that has a free slot it
//     runs there; if not
//     and its node is under the watermarks, it gains a worker (slots + 1, up to `max_slots` and the
//     container's own ContainerLoad::max_slots) and runs there, sharing the container's quota.
//   phase 2 (bounce, re-place and multiplex, global scheduler): otherwise the first other ready container
//     of the function with a free slot, else the first whose node is under the watermarks (one more
//     worker); else, with `low` > 0, the global scheduler borrows the generic worker of under-utilised
//     containers of other functions (lends(): running invocations <= `low` x its cores; the engine picks
//     them, one guest per container, ready after the function's init), as many as the demand beyond the
//     function's ready and starting capacity.
//   phase 3 (scale out, burst buffer): new containers start in the background, enough that starting
//     containers x `slots` cover the demand beyond `slots` per ready container (running above `slots` +
//     buffered + this one), but only once the overload has persisted: phase 3 has been reached
//     continuously (no gap longer than a tick) for `persist` x the function's cold-start time (a function
//     with no container starts one at once). Meanwhile the invocation runs in the first ready container
//     below `max_slots` that can take it (over the watermarks, if the worker's memory fits: the burst
//     buffer), else waits in the buffer. While the overload has not persisted, phase 2's multiplexing
//     stands in for it.
//   Every tick (`tick`): slots fall back to max(`slots`, running) and idle containers are reclaimed down
//   to max(1, ceil(peak per-tick mean concurrency over `window` / `slots`)); the last container is left
//   to the keep-alive policy.
// Cost: admit O(containers of the function); on_tick O(functions reported x window ticks).
#pragma once

#include <cstdint>
#include <vector>

#include "policy/concurrency_window.h"
#include "policy/scaling.h"

namespace hearth::policy {

struct HyperFaaSParams {
  std::int32_t slots = 10;      // workers a container starts with and falls back to
  std::int32_t max_slots = 40;  // phase-1 cap per container
  std::int32_t cores = 10;      // CPU quota of a container (cores), shared by its running invocations
  model::MegaBytes worker_mb = 2;  // memory per worker beyond the first (docs/autoscaling.md: measured 1.1 MB)
  double cpu_watermark = 0.8;
  double memory_watermark = 0.9;
  double persist = 1.0;  // phase 3 waits for an overload of persist x the function's cold-start time
  double low = 0.5;      // phase 2 multiplexes containers running <= low x their cores; 0: no multiplexing
  model::Micros window_us = model::seconds(30);
  model::Micros tick_us = model::seconds(2);
};

class HyperFaaSScaling final : public ScalingPolicy {
 public:
  explicit HyperFaaSScaling(const HyperFaaSParams& params);
  std::string_view name() const override { return "hyperfaas"; }
  // Per-function state also grows on demand (ids past the end read as a fresh function).
  void on_function_added(const model::FunctionSpec& fn) override {
    if (overload_.size() <= fn.id) overload_.resize(fn.id + 1);
  }
  std::int32_t initial_slots(const model::FunctionSpec&) const override { return params_.slots; }
  std::int32_t container_cores(const model::FunctionSpec&) const override { return params_.cores; }
  model::MegaBytes worker_mb(const model::FunctionSpec&) const override { return params_.worker_mb; }
  bool lends(const ContainerLoad& host) const override;
  Admission admit(const model::FunctionSpec& fn, const FunctionLoad& load, const model::ClusterView& cluster,
                  model::Micros now) override;
  model::Micros tick_interval() const override { return params_.tick_us; }
  std::vector<ScaleTarget> on_tick(std::span<const TickLoad> loads, model::Micros now) override;

  // Whether one more invocation in `c` keeps its node under the watermarks (with `worker` a new worker).
  bool under_watermarks(const model::ClusterView& cluster, const ContainerLoad& c, bool worker) const;
  // For tests: when the current overload of `fn` began (model::kNever: none).
  model::Micros overload_since(model::FunctionId fn) const {
    return fn < overload_.size() ? overload_[fn].since_us : model::kNever;
  }

 private:
  struct Overload {
    model::Micros since_us = model::kNever;  // first phase-3 admission of the current overload
    model::Micros last_us = model::kNever;   // latest one
  };
  // Records a phase-3 admission of `fn` at `now`; returns whether the overload has persisted.
  bool overloaded(const model::FunctionSpec& fn, model::Micros now);

  HyperFaaSParams params_;
  std::size_t window_ticks_;
  ConcurrencyWindows windows_;
  std::vector<Overload> overload_;
};

}  // namespace hearth::policy
