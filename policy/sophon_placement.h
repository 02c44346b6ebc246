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
//   MC (minimum eviction cost) needs each node's eviction order, which ClusterView does not expose yet
//   (docs/policies.md, "the plan"); asking for it is an error that says so.
// Unhealthy nodes are never chosen; with no healthy node the answer is nullopt.
// Cost: warm O(idle containers of the function) (+ O(n) for SR's probe), cold O(sample).
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
  enum class ColdRule { kMaxAvailable };
  SophonPlacement(const PolicyContext& ctx, WarmRule warm, ColdRule cold, std::uint32_t sample);
  std::string_view name() const override { return "sophon"; }
  std::optional<model::NodeId> place(const model::Invocation& inv, const model::FunctionSpec& fn,
                                     const model::ClusterView& view) override;

  // The memory neither containers nor placed work hold on `s`.
  static model::MegaBytes available_mb(const model::NodeState& s);

 private:
  std::optional<model::NodeId> warm(const model::FunctionSpec& fn, const model::ClusterView& view);
  std::optional<model::NodeId> cold(const model::ClusterView& view);

  WarmRule warm_;
  ColdRule cold_;
  std::uint32_t sample_;
  OpenWhiskPlacement sticky_;       // the home and step of each function's sticky sequence
  std::vector<char> holds_;         // per node: holds an idle container of the function being placed
  std::vector<model::NodeId> pool_;  // healthy node ids, partially shuffled per cold decision
  std::mt19937_64 rng_;
};

}  // namespace hearth::policy
