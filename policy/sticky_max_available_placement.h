// Sticky-Max Available: the node-grained compromise of Sophon's chapter (§4.3.1). With the function's
// OpenWhisk sticky sequence (home, home+step, … mod n), over the healthy nodes whose memory semaphore has
// room for the function (unreserved_mb ≥ its memory, as OpenWhisk's balancer checks every invoker):
//   d = the node's position in that sequence / n        (0 for the home node: stickiness, locality)
//   l = reserved / capacity   (the node's memory load as a node-grained balancer knows it: the memory of
//        invocations placed there and not yet done, OpenWhisk's per-invoker semaphore)
// it picks the node minimising α·d + (1 − α)·l (α = `alpha`, default 0.3; ties: earlier in the sequence).
// If no node has room, OpenWhisk's fallback: a uniformly random healthy node (seeded, the same draw as
// `openwhisk`). So α = 1 is exactly Sticky-Random (`openwhisk`: the first node along the sequence with
// room; tests/policy/placement_test.cc proves it), as the chapter says; α = 0 is least reserved memory
// among the nodes with room.
// Cost: O(n) per decision at most: the walk along the sequence stops once the position's term alone reaches
// the best score found (no later node can beat it), with one subtraction per step and a division only
// for nodes with room; α·d by position is kept for the last n (8 bytes a node).
#pragma once

#include <random>
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
  void on_function_added(const model::FunctionSpec& fn) override { sticky_.add(fn); }

 private:
  double alpha_;
  StickySequence sticky_;
  std::mt19937_64 rng_;
  std::vector<double> position_term_;  // α · (position / n) for the last n asked
};

}  // namespace hearth::policy
