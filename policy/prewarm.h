// PrewarmPolicy: decides how many generic (stem-cell) containers each node keeps ready ahead of demand.
// The engine calls on_tick every tick_interval() of virtual time and tops each node up to the returned
// targets (it never destroys to meet a target: stem cells leave by their TTL or by eviction).
// Function-specific pre-loading (hybrid histogram) is a KeepAlivePolicy decision, not this.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "model/cluster_view.h"
#include "model/container.h"
#include "model/function_spec.h"
#include "model/invocation.h"
#include "model/time.h"

namespace hearth::policy {

struct PrewarmTarget {
  model::NodeId node = 0;
  model::RuntimeKind runtime = model::RuntimeKind::kNodejs;
  model::MegaBytes memory_mb = 256;  // a stem cell serves functions of this runtime needing <= memory_mb
  int desired = 0;                   // stem cells of this kind the node should hold
  model::Micros ttl_us = model::kNever;  // an unused stem cell is destroyed after this long
  bool pinned = false;  // never evicted under memory pressure (OpenWhisk ≤ 2020's prewarmed pool)
};

class PrewarmPolicy {
 public:
  virtual ~PrewarmPolicy() = default;
  virtual std::string_view name() const = 0;
  virtual model::Micros tick_interval() const = 0;
  // A function the policy has not seen is deployed (contract as PlacementPolicy::on_function_added).
  // Default: nothing (the stem-cell policies keep state per node and runtime, none per function).
  virtual void on_function_added(const model::FunctionSpec& fn) { (void)fn; }
  // An invocation started on `c` (kind tells whether it was cold, warm or from a stem cell).
  virtual void on_start(const model::Container& c, model::StartKind kind, model::Micros now) {
    (void)c, (void)kind, (void)now;
  }
  // The stem cells each node should hold from now on. Called at time 0 and then every tick_interval().
  virtual std::vector<PrewarmTarget> on_tick(const model::ClusterView& view, model::Micros now) = 0;
  // Stem cell `used` (already specialised, `used.node`) was just taken by an invocation: a target to top
  // its node up to at once (OpenWhisk ≤ 2020 starts a replacement as it hands one out), or nullopt to
  // wait for the next tick.
  virtual std::optional<PrewarmTarget> on_use(const model::Container& used, model::Micros now) {
    (void)used, (void)now;
    return std::nullopt;
  }
  // A stem cell serves a function of its runtime needing exactly its memory (true: OpenWhisk's
  // ContainerPool matches kind and memory) or at most its memory (false).
  virtual bool exact_memory() const { return false; }
};

}  // namespace hearth::policy
