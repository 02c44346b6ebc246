// PoolPlan: turns a pool manager's per-function wishes for one tick ("prewarm n of f", "terminate n idle
// of f") into per-node PoolActions (policy/pool_manager.h), from a snapshot of the cluster:
//   prewarm    each container on the healthy node with the most free memory (capacity − used, less what
//              this plan already prewarms there) that holds it without evicting; stops at the first that
//              fits nowhere ("when resources allow"). Memory that this tick's terminations free is not
//              counted: the engine may run the actions in any order.
//   terminate  idle containers of the function, from the node with the least free memory first (ties:
//              lower node id), at most the idle ones the view shows.
// Actions for one (function, node) are merged; take() returns them ordered by function, then node.
// Deterministic; no I/O. Cost: prewarm O(nodes) per container; terminate and idle O(nodes) per function
// (the view's for_each_idle).
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "model/cluster_view.h"
#include "policy/pool_manager.h"

namespace hearth::policy {

class PoolPlan {
 public:
  explicit PoolPlan(const model::ClusterView& view);
  // Idle containers of `fn` in the cluster, less those this plan already terminates.
  std::int32_t idle(model::FunctionId fn) const;
  // Returns how many of `count` containers of `memory_mb` were placed.
  std::int32_t prewarm(model::FunctionId fn, model::MegaBytes memory_mb, std::int32_t count);
  // Prewarms each wish as prewarm() does, the higher rank first (ties: lower function id), so the
  // functions ranked first get the memory when it runs short.
  struct PrewarmWish {
    double rank = 0;
    model::FunctionId function = 0;
    model::MegaBytes memory_mb = 0;
    std::int32_t count = 0;
  };
  void prewarm_ranked(std::vector<PrewarmWish> wishes);
  // Returns how many of `count` idle containers will be terminated.
  std::int32_t terminate(model::FunctionId fn, std::int32_t count);
  std::vector<PoolAction> take();

 private:
  PoolAction& action(model::FunctionId fn, model::NodeId node);
  std::int32_t terminating(model::FunctionId fn, model::NodeId node) const;

  const model::ClusterView& view_;
  std::vector<model::MegaBytes> free_mb_;  // per node position in view_.nodes(), less planned prewarms
  std::map<std::pair<model::FunctionId, model::NodeId>, PoolAction> actions_;
};

}  // namespace hearth::policy
