// The knapsack solvers of Eqs. 5-7 (policy/priority_knapsack.h): hand-worked instances, and properties
// over random small ones: both respect the capacities, exact equals brute force, exact ≥ greedy.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "policy/priority_knapsack.h"

namespace hearth::policy {
namespace {

using Items = std::vector<KnapsackItem>;

// The best total value over every subset that fits (2^n subsets).
double brute_force(const Items& items, const KnapsackCapacity& cap) {
  double best = 0;
  const std::size_t n = items.size();
  for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << n); ++mask) {
    std::vector<std::size_t> chosen;
    double value = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (mask >> i & 1) {
        chosen.push_back(i);
        value += std::max(items[i].value, 0.0);
      }
    if (knapsack_fits(items, chosen, cap)) best = std::max(best, value);
  }
  return best;
}

TEST(PriorityKnapsack, DensityWeighsEachResourceByItsShareOfTheCapacity) {
  // w = 512/1024 + 0.5/2 = 0.75; density = 3 / 0.75 = 4.
  EXPECT_DOUBLE_EQ(knapsack_density({3, 512, 0.5}, {1024, 2}), 4);
  // Zero CPU capacity: only memory counts.
  EXPECT_DOUBLE_EQ(knapsack_density({3, 512, 0}, {1024, 0}), 6);
  EXPECT_TRUE(std::isinf(knapsack_density({3, 0, 0}, {1024, 2})));
}

TEST(PriorityKnapsack, GreedyTakesTheDensestThatFitAndSkipsTheRest) {
  // Capacity 1000 MB, 2 cores. Densities: a = 10/(0.6+0.5) = 9.09, b = 6/(0.5+0.5) = 6, c = 4/(0.3+0.25) = 7.27.
  const Items items = {{10, 600, 1}, {6, 500, 1}, {4, 300, 0.5}};
  const KnapsackSolution g = solve_knapsack_greedy(items, {1000, 2});
  // a (600 MB, 1 core), then c (900 MB, 1.5), then b does not fit (1400 MB).
  EXPECT_EQ(g.chosen, (std::vector<std::size_t>{0, 2}));
  EXPECT_DOUBLE_EQ(g.value, 14);
  EXPECT_FALSE(g.optimal);
}

TEST(PriorityKnapsack, ExactBeatsGreedyWhereDensityMisleads) {
  // Capacity 10 MB, no CPU needed. All densities are 10 (6/0.6, 5/0.5): greedy takes the first (6 MB)
  // and then no 5 MB item fits: 6. Exact takes the two 5 MB items: 10.
  const Items items = {{6, 6, 0}, {5, 5, 0}, {5, 5, 0}};
  const KnapsackCapacity cap{10, 4};
  const KnapsackSolution g = solve_knapsack_greedy(items, cap);
  const KnapsackSolution e = solve_knapsack_exact(items, cap);
  EXPECT_DOUBLE_EQ(g.value, 6);
  EXPECT_EQ(e.chosen, (std::vector<std::size_t>{1, 2}));
  EXPECT_DOUBLE_EQ(e.value, 10);
  EXPECT_TRUE(e.optimal);
}

TEST(PriorityKnapsack, ExactRespectsTheCpuConstraint) {
  // Memory is no limit; 1.5 cores: the 1-core item of value 5 plus the 0.5 one of value 2 beat
  // two 0.75-core items of value 3 each (6 < 7).
  const Items items = {{3, 10, 0.75}, {3, 10, 0.75}, {5, 10, 1}, {2, 10, 0.5}};
  const KnapsackSolution e = solve_knapsack_exact(items, {1000, 1.5});
  EXPECT_EQ(e.chosen, (std::vector<std::size_t>{2, 3}));
  EXPECT_DOUBLE_EQ(e.value, 7);
}

TEST(PriorityKnapsack, IdenticalItemsAreTakenOldestFirst) {
  const Items items = {{1, 100, 1}, {1, 100, 1}, {1, 100, 1}, {1, 100, 1}};
  const KnapsackSolution e = solve_knapsack_exact(items, {250, 8});
  EXPECT_EQ(e.chosen, (std::vector<std::size_t>{0, 1}));
  const KnapsackSolution g = solve_knapsack_greedy(items, {250, 8});
  EXPECT_EQ(g.chosen, (std::vector<std::size_t>{0, 1}));
}

TEST(PriorityKnapsack, ItemsWithoutValueAreNeverTaken) {
  const Items items = {{0, 1, 0}, {-2, 1, 0}, {1, 1, 0}};
  EXPECT_EQ(solve_knapsack_exact(items, {10, 1}).chosen, (std::vector<std::size_t>{2}));
  EXPECT_EQ(solve_knapsack_greedy(items, {10, 1}).chosen, (std::vector<std::size_t>{2}));
}

TEST(PriorityKnapsack, ExactPastItsNodeBudgetSaysSoAndKeepsTheGreedyAnswer) {
  Items items;
  for (int i = 0; i < 40; ++i) items.push_back({1.0 + i * 0.013, 7 + (i * 37) % 23, 0.1 * (1 + i % 7)});
  const KnapsackCapacity cap{150, 2};
  const KnapsackSolution g = solve_knapsack_greedy(items, cap);
  const KnapsackSolution e = solve_knapsack_exact(items, cap, /*node_budget=*/10);
  EXPECT_FALSE(e.optimal);
  EXPECT_LE(e.nodes, 11u);
  EXPECT_GE(e.value, g.value);
  EXPECT_TRUE(knapsack_fits(items, e.chosen, cap));
  const KnapsackSolution full = solve_knapsack_exact(items, cap);
  EXPECT_TRUE(full.optimal);
  EXPECT_GE(full.value, e.value);
}

// A random instance of up to 12 items; with `repeats`, values and weights from a few types (as requests
// of a few functions are).
std::pair<Items, KnapsackCapacity> random_instance(bool repeats) {
  const int n = *rc::gen::inRange(0, 13);
  Items types;
  const int ntypes = repeats ? *rc::gen::inRange(1, 4) : n;
  for (int i = 0; i < ntypes; ++i)
    types.push_back({*rc::gen::inRange(-2, 50) / 4.0, *rc::gen::inRange<model::MegaBytes>(0, 600),
                     *rc::gen::inRange(0, 9) * 0.25});
  Items items;
  for (int i = 0; i < n; ++i)
    items.push_back(repeats ? types[static_cast<std::size_t>(*rc::gen::inRange(0, ntypes))]
                            : types[static_cast<std::size_t>(i)]);
  const KnapsackCapacity cap{*rc::gen::inRange<model::MegaBytes>(0, 2000), *rc::gen::inRange(0, 17) * 0.25};
  return {items, cap};
}

RC_GTEST_PROP(PriorityKnapsackProperty, BothSolversRespectTheCapacities, (bool repeats)) {
  const auto [items, cap] = random_instance(repeats);
  RC_ASSERT(knapsack_fits(items, solve_knapsack_greedy(items, cap).chosen, cap));
  RC_ASSERT(knapsack_fits(items, solve_knapsack_exact(items, cap).chosen, cap));
}

RC_GTEST_PROP(PriorityKnapsackProperty, ExactEqualsBruteForceAndBeatsGreedy, (bool repeats)) {
  const auto [items, cap] = random_instance(repeats);
  const KnapsackSolution e = solve_knapsack_exact(items, cap);
  const KnapsackSolution g = solve_knapsack_greedy(items, cap);
  RC_ASSERT(e.optimal);
  RC_ASSERT(std::abs(e.value - brute_force(items, cap)) < 1e-9);
  RC_ASSERT(e.value >= g.value - 1e-9);
  double sum = 0;  // the reported value is the chosen items' value
  for (std::size_t i : e.chosen) sum += items[i].value;
  RC_ASSERT(std::abs(sum - e.value) < 1e-9);
}

}  // namespace
}  // namespace hearth::policy
