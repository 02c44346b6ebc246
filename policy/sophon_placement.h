// Sophon's container-grained placement (Chapter 4 of ../shared/seeds/001_c77367b513bd7e3f.txt), spec
// `sophon:WARM/COLD[,sample=k]`. As the chapter defines them (§4.3.1, §4.4.1):
//   available(node) = capacity − memory of its *active* containers: max(ClusterView::busy_mb, reserved_mb)
//                     — the containers running an invocation, or, if more, the invocations the scheduler
//                     placed there and not yet done (each holds or waits for an active container; a live
//                     controller knows them before the invoker's next report). Idle keep-alive containers
//                     and stem cells do not count: the invoker evicts them on demand;
//   a node is a candidate only if the invocation fits: healthy and available ≥ the function's memory
//                     ("an Invoker needs to have at least the memory required by the invocation").
//   warm rule — some candidate holds an idle container of the function:
//     MA  the holder with the most available memory among `sample` holders drawn at random;
//     SR  the first holder along the function's sticky sequence (OpenWhisk's home invoker and co-prime
//         step), never sampled (§4.4.3: "Sticky-Random policy does not need to sample");
//   cold rule — no candidate holds one:
//     MA  the candidate with the most available memory among `sample` candidates drawn at random;
//     MC  the one with the minimum eviction cost among the same sample: the containers the node would
//         evict, in its eviction order, until its free memory (capacity − used) covers the function's,
//         each costing exp(−λ·idle seconds) (λ = 0.3, `lambda`). Cost 0 if nothing must go; a node that
//         cannot free enough is out; ties go to the most available memory. If every sampled node is out
//         (or the view does not know eviction order), MA decides.
//   sample: k = 10 as the chapter's implementation (§4.4.3); 0 or ≥ the candidates: all of them. The draw
//   is uniform without replacement (seeded partial Fisher–Yates).
//   ties (equal available memory, equal cost): `ties=random` (default) a seeded uniform choice among the
//   tied nodes, so a cluster of equally loaded nodes is not always resolved to node 0; `ties=lowest`
//   the lowest node id (reproducible by hand: the live tests use it to know where an invocation lands).
// No candidate at all (no healthy node fits): the healthy node with the most available memory (ties as
// above), where the invocation waits least. No healthy node: nullopt.
// Decision counts (decision_counts(), for diagnosis; docs/sophon.md): `warm`; `cold`, split into
// `cold_no_candidate` (no node fits: both cold rules take the most available node), `cold_no_eviction`
// (every sampled candidate has free memory for the function: MC's costs are all 0 and its tie rule is
// MA's) and `cold_must_evict` (some sampled candidate must evict: the only regime where MC and MA can
// differ); under MC, `cold_mc_elsewhere` (MC chose a node with less available memory than the roomiest
// sampled one, which MA would take) and `cold_mc_elsewhere_recent` (of those, the roomiest node's eviction
// cost was at least e^(−λ·60 s), one container idle for a minute: MC spared recently used containers).
// A cold decision with no healthy node counts in `cold` only.
// Cost: warm O(h) for the h nodes holding an idle container of the function, put in id order in
// O(h + n/64) (a bit set; O(h log h) for a few dozen) (+ O(n) for SR's probe), cold O(n) to
// collect the candidates + O(sample) for MA, O(sample × victims walked) for MC.
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
  enum class Ties { kRandom, kLowestId };
  SophonPlacement(const PolicyContext& ctx, WarmRule warm, ColdRule cold, std::uint32_t sample,
                  double lambda = 0.3, Ties ties = Ties::kRandom);
  std::string_view name() const override { return "sophon"; }
  std::optional<model::NodeId> place(const model::Invocation& inv, const model::FunctionSpec& fn,
                                     const model::ClusterView& view) override;
  std::vector<DecisionCount> decision_counts() const override;
  void on_function_added(const model::FunctionSpec& fn) override { sticky_.add(fn); }

  // Capacity minus the memory of active containers on `node` (see above).
  static model::MegaBytes available_mb(const model::ClusterView& view, model::NodeId node);
  // MC's eviction cost of placing `memory_mb` on `node` now; +infinity if evicting every idle container
  // would not free enough, NaN if the view does not know the node's eviction order.
  static double eviction_cost(const model::ClusterView& view, model::NodeId node, model::MegaBytes memory_mb,
                              double lambda);

 private:
  std::optional<model::NodeId> warm(const model::FunctionSpec& fn, const model::ClusterView& view);
  std::optional<model::NodeId> cold(const model::FunctionSpec& fn, const model::ClusterView& view);
  // Sorts pool_ (distinct node ids below node_count) ascending.
  void sort_pool(std::size_t node_count);
  // Draws min(sample, |pool_|) of pool_ into its front (uniformly, without replacement); returns how many.
  std::size_t draw_sample();
  // The node of pool_[0, k) with the most available memory, ties broken by ties_.
  model::NodeId most_available(const model::ClusterView& view, std::size_t k);
  // Whether tied `candidate` replaces `current` (`tied`: nodes tied so far, for the random rule).
  bool take_tie(model::NodeId candidate, model::NodeId current, std::uint64_t& tied);

  WarmRule warm_;
  ColdRule cold_;
  std::uint32_t sample_;
  double lambda_;
  Ties ties_;
  StickySequence sticky_;           // the home and step of each function's sticky sequence
  std::vector<char> holds_;         // per node: holds an idle container of the function being placed
  std::vector<model::NodeId> pool_;  // candidate node ids, partially shuffled per decision
  std::vector<std::uint64_t> marks_;  // sort_pool's bit set, a bit per node
  std::mt19937_64 rng_;
  struct Counts {
    std::uint64_t warm = 0, cold = 0, no_candidate = 0, no_eviction = 0, must_evict = 0, mc_elsewhere = 0,
                  mc_elsewhere_recent = 0;
  } counts_;
};

}  // namespace hearth::policy
