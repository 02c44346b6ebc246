// PrewarmPolicy: decides how many generic (stem-cell) containers each node keeps ready ahead of demand.
// The engine calls on_tick every tick_interval() of virtual time and tops each node up to the returned
// targets (it never destroys to meet a target: stem cells leave by their TTL or by eviction).
// Function-specific pre-loading (hybrid histogram) is a KeepAlivePolicy decision, not this.
#pragma once

#include <string_view>
#include <vector>

#include "model/cluster_view.h"
#include "model/container.h"
#include "model/invocation.h"
#include "model/time.h"

namespace hearth::policy {

struct PrewarmTarget {
  model::NodeId node = 0;
  model::RuntimeKind runtime = model::RuntimeKind::kNodejs;
  model::MegaBytes memory_mb = 256;  // a stem cell serves functions of this runtime needing <= memory_mb
  int desired = 0;                   // stem cells of this kind the node should hold
  model::Micros ttl_us = model::kNever;  // an unused stem cell is destroyed after this long
};

class PrewarmPolicy {
 public:
  virtual ~PrewarmPolicy() = default;
  virtual std::string_view name() const = 0;
  virtual model::Micros tick_interval() const = 0;
  // An invocation started on `c` (kind tells whether it was cold, warm or from a stem cell).
  virtual void on_start(const model::Container& c, model::StartKind kind, model::Micros now) {
    (void)c, (void)kind, (void)now;
  }
  // The stem cells each node should hold from now on. Called at time 0 and then every tick_interval().
  virtual std::vector<PrewarmTarget> on_tick(const model::ClusterView& view, model::Micros now) = 0;
};

}  // namespace hearth::policy
