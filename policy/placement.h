// PlacementPolicy: decides which node an invocation goes to.
// Sees the cluster only through ClusterView; deterministic given its inputs and its seed.
// Cost per call: stated by each implementation (OpenWhisk sharding: O(probes)).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "model/cluster_view.h"
#include "model/function_spec.h"
#include "model/invocation.h"

namespace hearth::policy {

// A placement's answer meaning "no node has room now: hold the invocation at the controller" (non-forced
// scheduling, e.g. `openwhisk:overload=wait`). The engine keeps such invocations in one controller FIFO
// and asks again, oldest first, whenever a completion frees memory.
inline constexpr model::NodeId kHoldAtController = 0xfffffffeu;

// How many decisions of one kind a policy took (kinds are the policy's own; for diagnosis).
struct DecisionCount {
  std::string_view name;
  std::uint64_t count = 0;
};

class PlacementPolicy {
 public:
  virtual ~PlacementPolicy() = default;
  virtual std::string_view name() const = 0;
  // The node to run `inv` on, or nullopt when no healthy node exists (the engine drops it with kNoNode).
  // A node without room is a valid answer: the engine queues the invocation there. kHoldAtController:
  // the engine holds it at the controller (see above).
  virtual std::optional<model::NodeId> place(const model::Invocation& inv, const model::FunctionSpec& fn,
                                             const model::ClusterView& view) = 0;
  // The policy's decisions so far, by kind (`hearth sim --json` prints them as "placement_decisions");
  // empty for a policy that does not count. O(kinds).
  virtual std::vector<DecisionCount> decision_counts() const { return {}; }
  // A function the policy has not seen is deployed (docs/policies.md, "Functions that appear later"):
  // grow per-function state without touching what was learned. Every function reaches the policy this
  // way — make_placement calls it for each of PolicyContext::functions, an engine for each one deployed
  // later — ids dense from 0, each once, before its first place(). Default: nothing (the policy keeps no
  // per-function state). Nodes need no hook: every placement reads the node list from the view per call.
  virtual void on_function_added(const model::FunctionSpec& fn) { (void)fn; }
  // Hints for an engine that knows its next arrivals (the simulator): start loading what place() will
  // read for `fn`, and the node place() will most likely answer for it (kNoLikelyNode if unknown), so
  // that the engine can load that node's state for it. Neither may change any decision. Defaults: none.
  static constexpr model::NodeId kNoLikelyNode = 0xffffffffu;
  virtual void prefetch(model::FunctionId fn) const { (void)fn; }
  virtual model::NodeId likely_node(model::FunctionId fn) const {
    (void)fn;
    return kNoLikelyNode;
  }
};

}  // namespace hearth::policy
