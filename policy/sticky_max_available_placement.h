// Sticky-Max Available: the node-grained compromise Sophon compares against (issue 4). For each healthy
// node, with the function's OpenWhisk sticky sequence (home, home+step, … mod n):
//   d = the node's position in that sequence / n        (0 for the home node: stickiness, locality)
//   l = reserved / capacity   (the node's memory load as a node-grained balancer knows it: the memory of
//        invocations placed there and not yet done, OpenWhisk's per-invoker semaphore; above 1 when work
//        queues. Idle containers do not count: the invoker evicts them on demand, and a node-grained
//        scheduler does not see them.)
// and it picks the node minimising α·d + (1 − α)·l (α = `alpha`, default 0.3; ties: earlier in the
// sequence). α = 1 is pure stickiness (the home node while healthy), α = 0 least reserved memory.
// (An earlier definition, l = 1 − available/capacity with idle containers counted as used, made every
// node score l = 1 once keep-alive filled memory, so overload collapsed onto home nodes.)
// Cost: O(n) per decision.
#pragma once

#include <vector>

#include "policy/openwhisk_placement.h"
#include "policy/placement.h"
#include "policy/registry.h"

namespace hearth::policy {

class StickyMaxAvailablePlacement final : public PlacementPolicy {
 public:
  StickyMaxAvailablePlacement(const PolicyContext& ctx, double alpha);
  std::string_view name() const override { return "sticky-ma"; }
  std::optional<model::NodeId> place(const model::Invocation& inv, const model::FunctionSpec& fn,
                                     const model::ClusterView& view) override;

 private:
  double alpha_;
  OpenWhiskPlacement sticky_;
};

}  // namespace hearth::policy
