// ScalingPolicy: how many containers a function runs and how many invocations each may run at once
// (container concurrency, "slots"). One object serves the whole cluster; deterministic given its
// inputs; no I/O, no wall clock. Engines without a scaling policy run one invocation per container
// and cold-start a container per excess invocation (OpenWhisk).
//
// The engine's side of the contract:
//   - every arrival, and every time capacity may have appeared for a function with buffered
//     invocations (a slot or core freed, a container became ready), the engine calls admit() for the
//     oldest buffered invocation: it runs at once in the container named (whose slots are raised to
//     `slots` first), or stays buffered (FIFO per function) until the next call;
//   - it starts `scale_out` new containers in the background (placement picks the node; a cold start,
//     or a stem cell's init), each with initial_slots(); a container is ready after its start-up;
//   - every tick_interval() it calls on_tick() with every function holding containers or buffered
//     work, then starts containers up to each target's `desired` and retires idle ones above it
//     (busy and starting containers are never retired), and lowers slots to max(target slots, active);
//   - a container has a CPU quota of container_cores() cores: its running invocations share them, each
//     progressing at min(1, cores / active) of a core (processor sharing inside the container), and the
//     container holds min(active, cores) cores of its node. So an admission names a ready container with
//     active < slots (after raising) that either has active < cores on a node with a free core, or is
//     already at its quota (the new invocation stretches the others and takes no core: can_run());
//   - a container holds its function's memory plus worker_mb() per slot beyond the first (each slot is a
//     worker process); raising slots grows it, so an admission that raises slots needs that memory free
//     on the node (the engine evicts idle containers for it, and throws if it cannot);
//   - a borrowed worker (Admission::multiplex, or any background start with SimConfig::share_containers):
//     the engine looks for a ready container of another function with the same runtime and at least the
//     memory that lends no worker yet and that lends() accepts; the guest is one worker (max_slots 1)
//     ready after the function's init, with no memory of its own.
// Cost: admit O(containers of the function); on_tick O(functions reported) amortised.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "model/cluster_view.h"
#include "model/container.h"
#include "model/function_spec.h"
#include "model/time.h"

namespace hearth::policy {

// One container of a function as the engine sees it.
struct ContainerLoad {
  model::ContainerId id = 0;
  model::NodeId node = 0;
  std::int32_t active = 0;  // invocations running in it
  std::int32_t slots = 1;   // concurrency limit now
  bool ready = false;       // false while its start-up runs in the background
  // The most slots the engine can give this container (a live runtime's worker channels); a policy
  // never raises slots past it. The simulator has no such limit.
  std::int32_t max_slots = std::numeric_limits<std::int32_t>::max();
  // Its CPU quota in cores (ScalingPolicy::container_cores; kUnlimitedCores: a core per running invocation).
  std::int32_t cores = std::numeric_limits<std::int32_t>::max();
};

inline constexpr std::int32_t kUnlimitedCores = std::numeric_limits<std::int32_t>::max();

// One function at an admission: its containers (oldest first) and the invocations waiting behind the
// one being admitted.
struct FunctionLoad {
  model::FunctionId function = 0;
  std::span<const ContainerLoad> containers;
  std::int32_t buffered = 0;
};

struct Admission {
  std::optional<model::ContainerId> container;  // run here now; nullopt: keep it buffered
  std::int32_t slots = 0;                        // the container's slots after admission (>= active + 1)
  std::int32_t scale_out = 0;                    // containers to start in the background now
  std::int32_t multiplex = 0;                    // workers to borrow from other functions' containers now
  std::uint8_t phase = 0;                        // which rule decided (policy-specific; for counters)
};

// One function at a tick.
struct TickLoad {
  model::FunctionId function = 0;
  std::int32_t ready = 0, starting = 0;
  std::int32_t in_flight = 0, buffered = 0;
  double mean_concurrency = 0;  // time-weighted mean of in_flight + buffered since the previous tick
  double mean_cores_used = 0;   // time-weighted mean of the cores its containers held (sum of min(active, cores))
};

struct ScaleTarget {
  model::FunctionId function = 0;
  std::int32_t desired = 0;  // containers, ready + starting
  std::int32_t slots = 0;    // lower every container's slots to max(slots, active); 0 = leave them
};

class ScalingPolicy {
 public:
  virtual ~ScalingPolicy() = default;
  virtual std::string_view name() const = 0;
  // A function the policy has not seen is deployed: grow per-function state, keep what was learned
  // (contract as PlacementPolicy::on_function_added). Default: nothing (no per-function state).
  virtual void on_function_added(const model::FunctionSpec& fn) { (void)fn; }
  // Concurrency limit of a newly started container of `fn`.
  virtual std::int32_t initial_slots(const model::FunctionSpec& fn) const = 0;
  // CPU quota of a container of `fn`, in cores (kUnlimitedCores: every running invocation has a core).
  virtual std::int32_t container_cores(const model::FunctionSpec&) const { return kUnlimitedCores; }
  // Memory a container of `fn` holds per slot beyond the first (a worker process), MB.
  virtual model::MegaBytes worker_mb(const model::FunctionSpec&) const { return 0; }
  // Whether `host`, a ready container of another function, may lend a worker now (multiplexing).
  virtual bool lends(const ContainerLoad& host) const {
    (void)host;
    return true;
  }
  virtual Admission admit(const model::FunctionSpec& fn, const FunctionLoad& load, const model::ClusterView& cluster,
                          model::Micros now) = 0;
  virtual model::Micros tick_interval() const = 0;
  // Functions not in `loads` had no containers and no work since the previous tick.
  virtual std::vector<ScaleTarget> on_tick(std::span<const TickLoad> loads, model::Micros now) = 0;
};

// Whether `node` can run one more invocation now (a free core).
inline bool has_free_core(const model::ClusterView& cluster, model::NodeId node) {
  const model::NodeState& n = cluster.nodes()[node];
  return n.busy_cores < n.cores;
}

// Whether container `c` can run one more invocation within its current slots' CPU: below its quota it
// needs a free core of its node; at or above it the new invocation shares the quota.
inline bool can_run(const model::ClusterView& cluster, const ContainerLoad& c) {
  return c.active >= c.cores || has_free_core(cluster, c.node);
}

// A container count: ceil(x) (tolerating float noise of 1e-9), at least 0 and at most int32's maximum
// (a tiny target makes demand / target overflow the cast).
inline std::int32_t ceil_count(double x) {
  const double c = std::ceil(x - 1e-9);
  if (!(c < static_cast<double>(std::numeric_limits<std::int32_t>::max()))) return std::numeric_limits<std::int32_t>::max();
  return c > 0 ? static_cast<std::int32_t>(c) : 0;
}

// The activator / Kubernetes-service admission: the ready container with the fewest running invocations
// among those with a free slot that can_run() one more; none: keep it buffered, and if the function has
// no container at all, start one at once (scale from zero). Phase 1 in the counters.
inline Admission admit_least_loaded(const FunctionLoad& load, const model::ClusterView& cluster) {
  const ContainerLoad* best = nullptr;
  for (const ContainerLoad& c : load.containers) {
    if (!c.ready || c.active >= c.slots || !can_run(cluster, c)) continue;
    if (!best || c.active < best->active) best = &c;
  }
  Admission a;
  if (best) {
    a.container = best->id;
    a.slots = best->slots;
    a.phase = 1;
  } else if (load.containers.empty()) {
    a.scale_out = 1;
  }
  return a;
}

}  // namespace hearth::policy
