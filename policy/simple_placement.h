// Node-grained baseline placements.
//   random      a uniformly random healthy node (seeded). O(n).
//   max-memory  the healthy node with the most memory not reserved by placed work (unreserved_mb),
//               ties to the lowest id. O(n).
#pragma once

#include <random>

#include "policy/placement.h"

namespace hearth::policy {

class RandomPlacement final : public PlacementPolicy {
 public:
  explicit RandomPlacement(std::uint64_t seed) : rng_(seed) {}
  std::string_view name() const override { return "random"; }
  std::optional<model::NodeId> place(const model::Invocation& inv, const model::FunctionSpec& fn,
                                     const model::ClusterView& view) override;

 private:
  std::mt19937_64 rng_;
};

class MaxMemoryPlacement final : public PlacementPolicy {
 public:
  std::string_view name() const override { return "max-memory"; }
  std::optional<model::NodeId> place(const model::Invocation& inv, const model::FunctionSpec& fn,
                                     const model::ClusterView& view) override;
};

}  // namespace hearth::policy
