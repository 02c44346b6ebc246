// PriorityKnapsack: the 0-1 two-constraint knapsack of Incendio's request scheduling (Eqs. 5-7 of seed
// 002): choose a subset of items (pending requests) maximising the total value (priority) with the total
// memory ≤ the capacity's memory and the total CPU ≤ its cores. The timeout constraint of Eq. 6
// (t_ij ≤ T) is the caller's: it passes only the requests still within their timeout.
//
// Two solvers:
//   greedy  by priority density: value / w, w = memory/M + cpu/V with M, V the capacity's memory and
//           cores (each resource weighed by the fraction of what is available it takes; a resource of
//           zero capacity drops out of w and only items needing none of it fit). Items by density
//           descending (equal densities: lower index first), each taken if it still fits, the rest
//           skipped (later, smaller ones may still fit). O(n log n).
//   exact   branch and bound. Identical items (same value, memory and CPU: requests of one function)
//           are one group with a count, so the search branches on how many of each group to take
//           (most first), in density order; the bound at a node is the smaller of the two one-constraint
//           fractional relaxations of what remains. The incumbent starts at the greedy answer, so exact
//           ≥ greedy always. The search explores at most `node_budget` nodes; past that it returns the
//           best found with optimal = false (the caller says so). Within the budget the answer is an
//           optimum. Worst case exponential in the number of groups; with the default budget (10^6
//           nodes, a few ms) instances of up to ~25 distinct groups finish in practice.
// Within a group, the lower-indexed (older) items are the ones taken. Items of value ≤ 0 are never
// taken (they add nothing). Deterministic; no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "model/time.h"

namespace hearth::policy {

struct KnapsackItem {
  double value = 0;                // the request's priority
  model::MegaBytes memory_mb = 0;  // m_j
  double cpu_cores = 0;            // v_j
};

struct KnapsackCapacity {
  model::MegaBytes memory_mb = 0;  // M
  double cpu_cores = 0;            // V
};

struct KnapsackSolution {
  std::vector<std::size_t> chosen;  // indices into the items, ascending
  double value = 0;
  bool optimal = true;              // exact: proven optimal within the node budget (greedy: false)
  std::uint64_t nodes = 0;          // exact: branch-and-bound nodes explored
};

inline constexpr std::uint64_t kDefaultKnapsackNodeBudget = 1'000'000;

// The greedy density of `item` under `cap` (see above); +infinity for an item that weighs nothing.
double knapsack_density(const KnapsackItem& item, const KnapsackCapacity& cap);

KnapsackSolution solve_knapsack_greedy(std::span<const KnapsackItem> items, const KnapsackCapacity& cap);
KnapsackSolution solve_knapsack_exact(std::span<const KnapsackItem> items, const KnapsackCapacity& cap,
                                      std::uint64_t node_budget = kDefaultKnapsackNodeBudget);

// True if the items at `chosen` fit `cap` together (the CPU sum with a tolerance of 1e-9 cores).
bool knapsack_fits(std::span<const KnapsackItem> items, std::span<const std::size_t> chosen,
                   const KnapsackCapacity& cap);

}  // namespace hearth::policy
