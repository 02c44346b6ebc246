// OpenWhisk's ShardingContainerPoolBalancer placement, as users run it.
// home = hash(function) mod n; step sizes = the numbers in 1..n coprime with n and pairwise coprime with
// each other (OpenWhisk's pairwiseCoprimeNumbersUntil); step = stepSizes[hash mod |stepSizes|]. Probe
// home, home+step, ... (mod n) for n probes and take the first healthy node whose memory semaphore
// has room (unreserved_mb ≥ the function's memory: reserved = memory of invocations placed and not yet
// completed). If none has room, a random healthy node (OpenWhisk then force-acquires and the invoker
// queues). OpenWhisk hashes namespace/action with MurmurHash3; Hearth uses FNV-1a of the function name.
// Cost: O(n) worst case, O(1) typical; precomputed per function.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "policy/placement.h"
#include "policy/registry.h"

namespace hearth::policy {

// OpenWhisk's pairwiseCoprimeNumbersUntil(n): e.g. n=10 → {1, 3, 7}.
std::vector<std::uint32_t> pairwise_coprime_numbers_until(std::uint32_t n);

class OpenWhiskPlacement final : public PlacementPolicy {
 public:
  explicit OpenWhiskPlacement(const PolicyContext& ctx);
  std::string_view name() const override { return "openwhisk"; }
  std::optional<model::NodeId> place(const model::Invocation& inv, const model::FunctionSpec& fn,
                                     const model::ClusterView& view) override;

  std::uint32_t home(model::FunctionId fn) const { return home_[fn]; }
  std::uint32_t step(model::FunctionId fn) const { return step_[fn]; }

 private:
  std::uint32_t n_;
  std::vector<std::uint32_t> home_, step_;
  std::mt19937_64 rng_;
};

}  // namespace hearth::policy
