#include "policy/priority_knapsack.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <tuple>

namespace hearth::policy {
namespace {

constexpr double kCpuTolerance = 1e-9;

bool fits_cpu(double used, double cap) { return used <= cap + kCpuTolerance; }

// Identical items, taken oldest (lowest index) first.
struct Group {
  KnapsackItem item;
  std::vector<std::size_t> indices;
};

class BranchAndBound {
 public:
  BranchAndBound(std::vector<Group> groups, const KnapsackCapacity& cap, std::uint64_t budget)
      : groups_(std::move(groups)), cap_(cap), budget_(budget), take_(groups_.size(), 0) {
    by_mem_.resize(groups_.size());
    std::iota(by_mem_.begin(), by_mem_.end(), 0);
    by_cpu_ = by_mem_;
    const auto ratio = [](double v, double w) { return w > 0 ? v / w : std::numeric_limits<double>::infinity(); };
    std::stable_sort(by_mem_.begin(), by_mem_.end(), [&](std::size_t a, std::size_t b) {
      return ratio(groups_[a].item.value, static_cast<double>(groups_[a].item.memory_mb)) >
             ratio(groups_[b].item.value, static_cast<double>(groups_[b].item.memory_mb));
    });
    std::stable_sort(by_cpu_.begin(), by_cpu_.end(), [&](std::size_t a, std::size_t b) {
      return ratio(groups_[a].item.value, groups_[a].item.cpu_cores) >
             ratio(groups_[b].item.value, groups_[b].item.cpu_cores);
    });
  }

  // Starts from `incumbent` (counts per group, feasible) worth `value`.
  void run(std::vector<std::int64_t> incumbent, double value) {
    best_ = std::move(incumbent);
    best_value_ = value;
    search(0, cap_.memory_mb, cap_.cpu_cores, 0);
  }

  const std::vector<std::int64_t>& best() const { return best_; }
  double best_value() const { return best_value_; }
  bool complete() const { return !aborted_; }
  std::uint64_t nodes() const { return nodes_; }

 private:
  // The fractional relaxation of groups g.. under one constraint (`mem`: memory, else CPU).
  double relaxation(std::size_t g, double left, bool mem) const {
    double bound = 0;
    for (std::size_t i : mem ? by_mem_ : by_cpu_) {
      if (i < g) continue;
      const Group& gr = groups_[i];
      const double w = mem ? static_cast<double>(gr.item.memory_mb) : gr.item.cpu_cores;
      const double n = static_cast<double>(gr.indices.size());
      if (w <= 0) {
        bound += gr.item.value * n;
        continue;
      }
      if (left <= 0) break;
      const double k = std::min(n, left / w);
      bound += gr.item.value * k;
      left -= k * w;
    }
    return bound;
  }

  void search(std::size_t g, model::MegaBytes mem, double cpu, double value) {
    if (aborted_) return;
    if (++nodes_ > budget_) {
      aborted_ = true;
      return;
    }
    if (value > best_value_) {
      best_value_ = value;
      best_ = take_;
      std::fill(best_.begin() + static_cast<std::ptrdiff_t>(g), best_.end(), 0);
    }
    if (g == groups_.size()) return;
    const double bound =
        value + std::min(relaxation(g, static_cast<double>(mem), true), relaxation(g, cpu, false));
    if (bound <= best_value_ * (1 + 1e-12)) return;
    const Group& gr = groups_[g];
    auto most = static_cast<std::int64_t>(gr.indices.size());
    if (gr.item.memory_mb > 0) most = std::min<std::int64_t>(most, mem / gr.item.memory_mb);
    if (gr.item.cpu_cores > 0)
      most = std::min<std::int64_t>(most, static_cast<std::int64_t>(std::floor((cpu + kCpuTolerance) / gr.item.cpu_cores)));
    for (std::int64_t k = most; k >= 0 && !aborted_; --k) {
      take_[g] = k;
      search(g + 1, mem - k * gr.item.memory_mb, cpu - static_cast<double>(k) * gr.item.cpu_cores,
             value + static_cast<double>(k) * gr.item.value);
    }
    take_[g] = 0;
  }

  std::vector<Group> groups_;
  KnapsackCapacity cap_;
  std::uint64_t budget_;
  std::vector<std::size_t> by_mem_, by_cpu_;
  std::vector<std::int64_t> take_, best_;
  double best_value_ = 0;
  std::uint64_t nodes_ = 0;
  bool aborted_ = false;
};

}  // namespace

double knapsack_density(const KnapsackItem& item, const KnapsackCapacity& cap) {
  double w = 0;
  if (cap.memory_mb > 0) w += static_cast<double>(item.memory_mb) / static_cast<double>(cap.memory_mb);
  if (cap.cpu_cores > 0) w += item.cpu_cores / cap.cpu_cores;
  return w > 0 ? item.value / w : std::numeric_limits<double>::infinity();
}

bool knapsack_fits(std::span<const KnapsackItem> items, std::span<const std::size_t> chosen,
                   const KnapsackCapacity& cap) {
  model::MegaBytes mem = 0;
  double cpu = 0;
  for (std::size_t i : chosen) {
    mem += items[i].memory_mb;
    cpu += items[i].cpu_cores;
  }
  return mem <= cap.memory_mb && fits_cpu(cpu, cap.cpu_cores);
}

KnapsackSolution solve_knapsack_greedy(std::span<const KnapsackItem> items, const KnapsackCapacity& cap) {
  std::vector<std::size_t> order;
  std::vector<double> density(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].value <= 0) continue;
    density[i] = knapsack_density(items[i], cap);
    order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return density[a] > density[b]; });
  KnapsackSolution s;
  s.optimal = false;
  model::MegaBytes mem = 0;
  double cpu = 0;
  for (std::size_t i : order) {
    if (mem + items[i].memory_mb > cap.memory_mb || !fits_cpu(cpu + items[i].cpu_cores, cap.cpu_cores)) continue;
    mem += items[i].memory_mb;
    cpu += items[i].cpu_cores;
    s.value += items[i].value;
    s.chosen.push_back(i);
  }
  std::sort(s.chosen.begin(), s.chosen.end());
  return s;
}

KnapsackSolution solve_knapsack_exact(std::span<const KnapsackItem> items, const KnapsackCapacity& cap,
                                      std::uint64_t node_budget) {
  // Group identical positive-value items, in greedy density order.
  std::vector<Group> groups;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const KnapsackItem& it = items[i];
    if (it.value <= 0) continue;
    auto same = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
      return g.item.value == it.value && g.item.memory_mb == it.memory_mb && g.item.cpu_cores == it.cpu_cores;
    });
    if (same == groups.end()) groups.push_back(Group{it, {i}});
    else same->indices.push_back(i);
  }
  std::stable_sort(groups.begin(), groups.end(), [&](const Group& a, const Group& b) {
    return knapsack_density(a.item, cap) > knapsack_density(b.item, cap);
  });
  // The incumbent: greedy's answer as counts per group.
  const KnapsackSolution greedy = solve_knapsack_greedy(items, cap);
  std::vector<std::int64_t> incumbent(groups.size(), 0);
  for (std::size_t i : greedy.chosen)
    for (std::size_t g = 0; g < groups.size(); ++g)
      if (std::binary_search(groups[g].indices.begin(), groups[g].indices.end(), i)) ++incumbent[g];
  BranchAndBound bb(groups, cap, node_budget);
  bb.run(incumbent, greedy.value);
  KnapsackSolution s;
  s.optimal = bb.complete();
  s.nodes = bb.nodes();
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (std::int64_t k = 0; k < bb.best()[g]; ++k) {
      s.chosen.push_back(groups[g].indices[static_cast<std::size_t>(k)]);
      s.value += groups[g].item.value;
    }
  std::sort(s.chosen.begin(), s.chosen.end());
  return s;
}

}  // namespace hearth::policy
