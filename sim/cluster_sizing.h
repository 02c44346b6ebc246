// Cluster sizing (`hearth sim --nodes auto`): the smallest node count on which a workload's cold starts
// settle below a level, found by simulating it on candidate clusters.
// "Settles": the cold-start ratio of the invocations that start after a warm-up (SizingGoal::warmup_us,
// counted from the trace's start: those minutes hold every function's unavoidable first cold start and no
// keep-alive has expired yet) is at most SizingGoal::max_cold_ratio.
// Search: doubling (1, 2, 4, … nodes) to the first count that settles, then a k-section of the interval
// below it down to one node: the answer n settles and n − 1 was simulated and does not (or n = 1). With
// `jobs` > 1 each round simulates `jobs` candidates at once (sim/parallel_runs.h): doubling tries the next
// `jobs` powers of two, the k-section `jobs` evenly spaced counts. Where settling is monotone in the node
// count (more nodes, never more cold starts) the answer is the same for every `jobs`; it is the boundary
// the search met otherwise.
// Cost: O(log(answer)) simulations (each a whole run of the workload).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model/time.h"
#include "sim/engine.h"

namespace hearth::sim {

struct SizingGoal {
  double max_cold_ratio = 0.01;
  model::Micros warmup_us = 10 * model::kMicrosPerMinute;
  std::uint32_t max_nodes = 65536;  // give up above this
  unsigned jobs = 1;
};

struct SizingStep {
  std::uint32_t nodes = 0;
  double settled_cold_ratio = 0;
  std::uint64_t started = 0;  // invocations that started after the warm-up
  bool settles = false;
};

struct SizingResult {
  bool found = false;
  std::uint32_t nodes = 0;          // the answer (found), else the largest count tried
  std::vector<SizingStep> steps;    // every simulation, in the order the search made them
};

// Cold starts / starts among the invocations that started at or after `warmup_us` (from the result's
// per-interval series, so warmup_us is rounded down to its interval). Throws std::invalid_argument if none
// started after it.
double settled_cold_ratio(const SimResult& result, model::Micros warmup_us, std::uint64_t* started = nullptr);

// `simulate(n)` runs the workload on n nodes. Throws std::invalid_argument for a bad goal.
SizingResult find_smallest_cluster(const std::function<SimResult(std::uint32_t)>& simulate, const SizingGoal& goal);

}  // namespace hearth::sim
