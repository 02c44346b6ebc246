// KeepAlivePolicy: decides how long an idle container lives and, under memory pressure, which idle
// container goes first. One object serves the whole cluster (per-node state, if any, is keyed by
// Container::node). Deterministic given its inputs; no I/O, no wall clock.
//
// Call order the engines guarantee, per invocation: on_arrival → (placement) → on_start → on_idle.
// on_evict is called for every container destroyed by pressure or by expiry.
#pragma once

#include <optional>
#include <string_view>

#include "model/container.h"
#include "model/function_spec.h"
#include "model/invocation.h"
#include "model/time.h"

namespace hearth::policy {

struct IdleDecision {
  model::Micros expires_us = model::kNever;  // destroy the idle container at this time (<= now: at once)
  double priority = 0;                      // eviction priority under pressure: lowest is evicted first
  // Hybrid-histogram style pre-loading: once the container is gone, load a fresh container of the same
  // function at prewarm_at_us and keep it until prewarm_expires_us. kNever = no pre-load.
  model::Micros prewarm_at_us = model::kNever;
  model::Micros prewarm_expires_us = model::kNever;
};

class KeepAlivePolicy {
 public:
  virtual ~KeepAlivePolicy() = default;
  virtual std::string_view name() const = 0;
  // A function the policy has not seen is deployed: grow per-function state, keep what was learned
  // (contract as PlacementPolicy::on_function_added). Default: nothing (no per-function state).
  virtual void on_function_added(const model::FunctionSpec& fn) { (void)fn; }
  // An invocation of `fn` arrived (before placement).
  virtual void on_arrival(const model::FunctionSpec& fn, model::Micros now) { (void)fn, (void)now; }
  // Container `c` starts serving an invocation of `fn` (cold, warm or prewarm start).
  virtual void on_start(const model::Container& c, const model::FunctionSpec& fn, model::StartKind kind,
                        model::Micros now) {
    (void)c, (void)fn, (void)kind, (void)now;
  }
  // Container `c` of `fn` has become idle (or was just prewarmed for `fn`): its fate.
  virtual IdleDecision on_idle(const model::Container& c, const model::FunctionSpec& fn, model::Micros now) = 0;
  // Container `c` is destroyed (evicted under pressure when `pressure`, else expired).
  virtual void on_evict(const model::Container& c, bool pressure, model::Micros now) {
    (void)c, (void)pressure, (void)now;
  }
  // A cold start of `fn` on `node` is about to create a container: a policy that keeps a snapshot of
  // `fn` there (snapshot-and-release) returns the restore's start-up, which replaces the cold start
  // (StartKind::kSnapshot), and counts the use; nullopt (the default): a cold start.
  virtual std::optional<model::Micros> restore_from_snapshot(model::NodeId node, const model::FunctionSpec& fn,
                                                             model::Micros now) {
    (void)node, (void)fn, (void)now;
    return std::nullopt;
  }
  // Whether this policy releases idle containers into snapshots (snapshot-and-release): the live engine
  // then makes a real snapshot of each container the policy released (has_snapshot after on_evict) and
  // restores where restore_from_snapshot says so (docs/faasnap.md, "Live snapshot-and-release").
  virtual bool releases_to_snapshots() const { return false; }
  // Whether the policy keeps a snapshot of `fn` on `node` now (no use counted).
  virtual bool has_snapshot(model::NodeId node, model::FunctionId fn) const {
    (void)node, (void)fn;
    return false;
  }
  // Extra time a warm start from an idle container pays (OpenWhisk: unpausing a paused container).
  virtual model::Micros resume_cost(const model::Container& c, model::Micros now) const {
    (void)c, (void)now;
    return 0;
  }
};

}  // namespace hearth::policy
