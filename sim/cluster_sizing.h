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
// Two shortcuts, each taken only where the plain search would have gone on to the same answer:
//  - SizingGoal::start_nodes: the doubling starts at the largest power of two at or below it; the counts
//    below are not simulated (the caller passes a count whose clusters cannot hold the workload: `hearth
//    sim` half the memory its invocations keep running on average, where every run measured is 96-99 %
//    cold). The first power simulated must then fail to settle, else the search falls back to the
//    doubling from 1 (so the (low, high) interval, hence the answer, is the plain search's).
//  - SizingGoal::stop_when_saturated: memory acts on cold starts through evictions (a container destroyed
//    under pressure is at most one later cold start). A probe whose cold starts after the warm-up, less
//    every eviction of the whole run, still exceed the target (and that dropped nothing) would not settle
//    even if more nodes removed every eviction; two such doubling probes in a row (saturated) stop the
//    search there (SizingResult::saturated), naming the function with the most cold starts on the last,
//    instead of doubling on to max_nodes. (A cluster that holds the workload easily still churns the
//    containers of a function whose concurrency swings: docs/sim-scale.md, seed 1.)
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
  std::uint32_t start_nodes = 1;    // the doubling's first count (rounded down to a power of two); see above
  bool stop_when_saturated = true;  // see above
};

struct SizingStep {
  std::uint32_t nodes = 0;
  double settled_cold_ratio = 0;
  std::uint64_t started = 0;  // invocations that started after the warm-up
  bool settles = false;
  std::uint64_t settled_cold = 0;            // cold starts among `started`
  std::uint64_t evictions = 0, dropped = 0;  // the whole run's (SimResult::evictions, Metrics::dropped)
  model::FunctionId coldest = 0;             // the function with the most cold starts in the whole run
  std::uint64_t coldest_cold_starts = 0, cold_starts = 0;
};

struct SizingResult {
  bool found = false;
  bool saturated = false;           // not found: stopped at a saturated probe (see above), `nodes`
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
