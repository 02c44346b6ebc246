// Scorpius placement (seed 000 §III-B.2 and §IV-A): the Mapping Recorder and the Server Looker.
// An invocation of f goes to (1) a node holding an idle container of f that is not overloaded (the lowest
// id), else (2) the first of f's code servers (where its code was prepared: a node it started on, or one
// code scaling prepared) that is not overloaded, else (3) the Eq. 7 lookup (policy/server_lookup.h) over
// the nodes that are not overloaded: the most library bytes of f prepared, ties from node f.id mod n on;
// (4) when every node is overloaded, the node with the most unreserved memory (the invocation queues there).
// Overloaded: unhealthy, or its unreserved memory (OpenWhisk's per-invoker memory semaphore) below f's
// memory. Like Scorpius, the lookup reads only the proactive library-status matrix, not what reactive
// preparation left on a node ("we ignore their effects on the placement").
// Needs PolicyContext::libraries (`hearth sim --libraries`); make_placement throws without it.
// Cost per call: O(idle nodes of f + code servers of f + |K|·|G_f|).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "policy/library_placement.h"
#include "policy/placement.h"

namespace hearth::policy {

// What the engine tells placements about libraries; all views outlive the policy; matrix, imports and
// code_servers may change between calls (the simulator's code scaling; the live controller re-plans and
// learns functions as they arrive).
struct LibraryStatus {
  const LibraryMatrix* matrix = nullptr;                         // proactive preparation, M
  std::span<const std::int64_t> size_kb;                         // per library
  const std::vector<std::vector<LibraryId>>* imports = nullptr;  // per function: G_f
  const std::vector<std::vector<std::uint32_t>>* code_servers = nullptr;  // per function; may be null
};

class ScorpiusPlacement final : public PlacementPolicy {
 public:
  explicit ScorpiusPlacement(const LibraryStatus& status) : status_(status) {}
  std::string_view name() const override { return "scorpius"; }
  std::optional<model::NodeId> place(const model::Invocation& inv, const model::FunctionSpec& fn,
                                     const model::ClusterView& view) override;
  std::vector<DecisionCount> decision_counts() const override;

 private:
  LibraryStatus status_;
  std::uint64_t warm_ = 0, code_ = 0, lookup_ = 0, overloaded_ = 0;
};

}  // namespace hearth::policy
