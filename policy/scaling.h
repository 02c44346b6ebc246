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
//   - a running invocation always holds one core of its container's node, so an admission names a
//     ready container with active < slots (after raising) on a node with a free core.
// Cost: admit O(containers of the function); on_tick O(functions reported) amortised.
#pragma once

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
};

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
  std::uint8_t phase = 0;                        // which rule decided (policy-specific; for counters)
};

// One function at a tick.
struct TickLoad {
  model::FunctionId function = 0;
  std::int32_t ready = 0, starting = 0;
  std::int32_t in_flight = 0, buffered = 0;
  double mean_concurrency = 0;  // time-weighted mean of in_flight + buffered since the previous tick
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
  // Concurrency limit of a newly started container of `fn`.
  virtual std::int32_t initial_slots(const model::FunctionSpec& fn) const = 0;
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

}  // namespace hearth::policy
