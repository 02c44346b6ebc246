// OpenWhisk's ShardingContainerPoolBalancer placement (docs/policies.md cites each rule to its source).
//   hash  = (namespace.hashCode() ^ action.hashCode()).abs  (policy/openwhisk_hash.h: Java String.hashCode)
//   pool  = the managed invokers: the first max(1, ceil(n × managed)) nodes (blackbox actions would use the
//           last max(1, floor(n × (1 − managed))); no Hearth function is blackbox, see docs/policies.md)
//   home  = hash mod |pool|; step = stepSizes[hash mod |stepSizes|], stepSizes = the numbers in 1..|pool|
//           coprime with |pool| and pairwise coprime with each other (pairwiseCoprimeNumbersUntil)
// Probe home, home+step, … (mod |pool|) and take the first healthy node whose memory semaphore has room
// (unreserved_mb ≥ the function's memory: reserved = memory of invocations placed and not yet completed).
// If none has room: `overload=force` (OpenWhisk) a uniformly random healthy node of the pool (seeded; the
// invoker then queues), `overload=wait` the answer kHoldAtController (non-forced scheduling: the engine
// holds the invocation at the controller until memory frees).
// A hash of Int.MinValue (abs stays negative) makes OpenWhisk index out of bounds and fail the activation:
// such a function gets nullopt (the engine drops it with kNoNode).
// Cost: O(1) typical (the first probes); when the first 8 probes find no room, the view says whether any
// node has room (ClusterView::for_each_node_with_room stopped at the first: O(log n) in the simulator);
// if one has, pools up to 1,024 nodes are probed on to the first with room (O(position), a node's state
// per probe), larger ones take the earliest of the view's nodes with room (O((k + 1) log n) for k of
// them); with none O(1) more where every node is healthy (ClusterView::healthy_nodes); hashes
// precomputed per function.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "policy/placement.h"
#include "policy/registry.h"

namespace hearth::policy {

// OpenWhisk's pairwiseCoprimeNumbersUntil(n): e.g. n=10 → {1, 3, 7}.
std::vector<std::uint32_t> pairwise_coprime_numbers_until(std::uint32_t n);

// OpenWhisk's managed invoker count for n invokers and managed fraction f: max(1, ceil(n·f)) in doubles.
std::uint32_t managed_invokers(std::uint32_t n, double managed_fraction);

// A function's OpenWhisk probe sequence over `n` nodes (home, home+step, …). Shared by the sticky variants.
class StickySequence {
 public:
  // Hashes ctx.functions through add().
  explicit StickySequence(const PolicyContext& ctx);
  // Hashes one more function (PlacementPolicy::on_function_added); O(length of its name).
  void add(const model::FunctionSpec& fn);
  // Home and step over n nodes; false when the function's hash is Int.MinValue and n makes its index
  // negative (OpenWhisk fails such an activation). Every function's home and step over the last n asked
  // are kept (8 bytes each, recomputed when n changes): a call is one load, no division.
  bool over(model::FunctionId fn, std::uint32_t n, std::uint32_t* home, std::uint32_t* step);
  std::int32_t hash(model::FunctionId fn) const { return hash_[fn]; }
  // Hints (no effect): start loading fn's home and step over the last n asked; that home, or
  // PlacementPolicy::kNoLikelyNode if not known.
  void prefetch(model::FunctionId fn) const {
    if (fn < places_.size()) __builtin_prefetch(&places_[fn]);
  }
  model::NodeId likely_home(model::FunctionId fn) const {
    return fn < places_.size() && places_[fn].home >= 0 ? static_cast<model::NodeId>(places_[fn].home)
                                                        : PlacementPolicy::kNoLikelyNode;
  }

 private:
  std::string hash_namespace_;
  std::vector<std::int32_t> hash_;  // by function id
  struct Place {
    std::int32_t home;   // negative: the activation fails
    std::uint32_t step;
  };
  Place place_of(model::FunctionId fn) const;  // over steps_for_ nodes

  std::uint32_t steps_for_ = 0;
  std::vector<std::uint32_t> steps_;
  std::vector<Place> places_;  // by function id, over steps_for_ nodes
};

class OpenWhiskPlacement final : public PlacementPolicy {
 public:
  enum class Overload { kForce, kWait };
  explicit OpenWhiskPlacement(const PolicyContext& ctx, double managed_fraction = 1.0,
                              Overload overload = Overload::kForce);
  std::string_view name() const override { return "openwhisk"; }
  std::optional<model::NodeId> place(const model::Invocation& inv, const model::FunctionSpec& fn,
                                     const model::ClusterView& view) override;
  void on_function_added(const model::FunctionSpec& fn) override { sequence_.add(fn); }
  void prefetch(model::FunctionId fn) const override { sequence_.prefetch(fn); }
  model::NodeId likely_node(model::FunctionId fn) const override { return sequence_.likely_home(fn); }

 private:
  double managed_;
  Overload overload_;
  StickySequence sequence_;
  std::mt19937_64 rng_;
};

// OpenWhisk's forced fallback: a uniformly random healthy node among nodes[0, pool); nullopt if none.
std::optional<model::NodeId> random_healthy_node(const model::ClusterView& view, std::uint32_t pool,
                                                 std::mt19937_64& rng);

}  // namespace hearth::policy
