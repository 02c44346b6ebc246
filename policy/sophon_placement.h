// Sophon's container-grained placement (Chapter 4 of ../shared/seeds/001_c77367b513bd7e3f.txt), spec
// `sophon:WARM/COLD[,sample=k]`. A node's *available* memory here is capacity − max(used, reserved):
// what neither containers nor placed work hold.
//   warm rule — some node holds an idle container of the function:
//     MA  the holder with the most available memory (ties: lowest id);
//     SR  the first holder along the function's sticky sequence (OpenWhisk's home invoker and co-prime
//         step, as `openwhisk` placement probes), so a function keeps returning to the same nodes;
//   cold rule — no idle container anywhere:
//     MA  the node with the most available memory among `sample` healthy nodes drawn at random
//         (seeded; sample=0 or ≥ the healthy nodes: all of them).
//     MC  the node with the minimum eviction cost among the same sample: the containers the node would
//         evict, in its eviction order, until its available memory covers the function's, each costing
//         exp(−λ·idle seconds) (λ = 0.3, `lambda`): a container idle for long is cheap to lose, a
//         recently used one dear. Cost 0 if nothing must go; a node whose idle containers cannot free
//         enough is out. Ties: the most available memory, then the lowest id. If every sampled node is
//         out (or the view does not know eviction order), MA decides.
// Unhealthy nodes are never chosen; with no healthy node the answer is nullopt.
// Cost: warm O(nodes holding an idle container of the function) in the simulator (its per-function node
// index; views without one: O(idle containers of it)) (+ O(n) for SR's probe), cold O(sample) for MA and
// O(sample × victims walked) for MC.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "policy/openwhisk_placement.h"
#include "policy/placement.h"
#include "policy/registry.h"

namespace hearth::policy {

class SophonPlacement final : public PlacementPolicy {
 public:
  enum class WarmRule { kMaxAvailable, kStickyRoute };
  enum class ColdRule { kMaxAvailable, kMinCost };
  SophonPlacement(const PolicyContext& ctx, WarmRule warm, ColdRule cold, std::uint32_t sample,
                  double lambda = 0.3);
  std::string_view name() const override { return "sophon"; }
  std::optional<model::NodeId> place(const model::Invocation& inv, const model::FunctionSpec& fn,
                                     const model::ClusterView& view) override;

  // The memory neither containers nor placed work hold on `s`.
  static model::MegaBytes available_mb(const model::NodeState& s);
  // MC's eviction cost of placing `memory_mb` on `node` now; +infinity if evicting every idle container
  // would not free enough, NaN if the view does not know the node's eviction order.
  static double eviction_cost(const model::ClusterView& view, model::NodeId node, model::MegaBytes memory_mb,
                              double lambda);

 private:
  std::optional<model::NodeId> warm(const model::FunctionSpec& fn, const model::ClusterView& view);
  std::optional<model::NodeId> cold(const model::FunctionSpec& fn, const model::ClusterView& view);

  WarmRule warm_;
  ColdRule cold_;
  std::uint32_t sample_;
  double lambda_;
  OpenWhiskPlacement sticky_;       // the home and step of each function's sticky sequence
  std::vector<char> holds_;         // per node: holds an idle container of the function being placed
  std::vector<model::NodeId> pool_;  // healthy node ids, partially shuffled per cold decision
  std::mt19937_64 rng_;
};

}  // namespace hearth::policy
