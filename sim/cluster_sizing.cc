#include "sim/cluster_sizing.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/parallel_runs.h"

namespace hearth::sim {

double settled_cold_ratio(const SimResult& result, model::Micros warmup_us, std::uint64_t* started) {
  const Metrics& m = result.metrics;
  const model::Micros from = warmup_us / m.interval_us() * m.interval_us();
  std::uint64_t n = 0, cold = 0;
  for (const SeriesPoint& p : m.series()) {
    if (p.start_us < from) continue;
    n += p.started;
    cold += p.cold_starts;
  }
  if (started) *started = n;
  if (n == 0)
    throw std::invalid_argument("no invocation starts after the warm-up of " +
                                std::to_string(warmup_us / model::kMicrosPerSecond) +
                                " s: give a shorter warm-up (--auto-warmup-min) or a longer trace");
  return static_cast<double>(cold) / static_cast<double>(n);
}

SizingResult find_smallest_cluster(const std::function<SimResult(std::uint32_t)>& simulate, const SizingGoal& goal) {
  if (!(goal.max_cold_ratio >= 0 && goal.max_cold_ratio <= 1))
    throw std::invalid_argument("--auto-cold must be in [0, 1] (got " + std::to_string(goal.max_cold_ratio) + ")");
  if (goal.warmup_us < 0) throw std::invalid_argument("--auto-warmup-min must be 0 or positive");
  if (goal.max_nodes < 1) throw std::invalid_argument("sizing: max_nodes must be at least 1");
  const unsigned jobs = std::max(1u, goal.jobs);
  SizingResult out;
  // `low` the largest count known not to settle (0: none yet), `high` the smallest known to (0: none yet).
  std::uint32_t low = 0, high = 0;
  // Simulates `counts` (ascending, in parallel), appends their steps in order, and narrows (low, high).
  const auto try_counts = [&](const std::vector<std::uint32_t>& counts) {
    std::vector<SizingStep> steps(counts.size());
    run_parallel(counts.size(), jobs, [&](std::size_t i) {
      const SimResult r = simulate(counts[i]);
      SizingStep& step = steps[i];
      step.nodes = counts[i];
      step.settled_cold_ratio = settled_cold_ratio(r, goal.warmup_us, &step.started);
      step.settles = step.settled_cold_ratio <= goal.max_cold_ratio;
      step.settled_cold = static_cast<std::uint64_t>(std::llround(step.settled_cold_ratio * static_cast<double>(step.started)));
      step.evictions = r.evictions;
      step.dropped = r.metrics.dropped();
      const std::vector<FunctionStats>& fns = r.metrics.per_function();
      for (std::size_t f = 0; f < fns.size(); ++f) {
        step.cold_starts += fns[f].cold_starts;
        if (fns[f].cold_starts > step.coldest_cold_starts) {
          step.coldest_cold_starts = fns[f].cold_starts;
          step.coldest = static_cast<model::FunctionId>(f);
        }
      }
    });
    out.steps.insert(out.steps.end(), steps.begin(), steps.end());
    std::size_t first = 0;
    while (first < steps.size() && !steps[first].settles) ++first;
    if (first > 0) low = counts[first - 1];
    if (first < counts.size()) high = counts[first];
  };
  // Doubling: the first power of two that settles, from the largest power of two <= start_nodes.
  std::uint64_t start = 1;
  while (start * 2 <= std::min(goal.start_nodes, goal.max_nodes)) start *= 2;
  // Saturated (see the header): the last two probes' cold starts beyond their evictions exceed the target.
  const auto beyond_memory = [&](const SizingStep& s) {
    return !s.settles && s.dropped == 0 && s.settled_cold > s.evictions &&
           static_cast<double>(s.settled_cold - s.evictions) > goal.max_cold_ratio * static_cast<double>(s.started);
  };
  const auto saturated = [&] {
    const std::size_t n = out.steps.size();
    return goal.stop_when_saturated && n >= 2 && beyond_memory(out.steps[n - 1]) && beyond_memory(out.steps[n - 2]);
  };
  for (std::uint64_t next = start; high == 0 && next <= goal.max_nodes;) {
    std::vector<std::uint32_t> counts;
    for (unsigned j = 0; j < jobs && next <= goal.max_nodes; ++j, next *= 2)
      counts.push_back(static_cast<std::uint32_t>(next));
    try_counts(counts);
    if (high != 0 && low == 0 && start > 1) {  // the start settled: its bound was wrong; again from 1
      high = 0;
      next = start = 1;
      continue;
    }
    if (high == 0 && saturated()) {
      out.saturated = true;
      break;
    }
  }
  if (high == 0) {
    out.nodes = low;
    return out;
  }
  // k-section of (low, high): high settles, low does not.
  while (high - low > 1) {
    const std::uint32_t gap = high - low;
    const std::uint32_t k = std::min<std::uint32_t>(jobs, gap - 1);
    std::vector<std::uint32_t> counts;
    for (std::uint32_t j = 1; j <= k; ++j) {
      const auto c = static_cast<std::uint32_t>(low + static_cast<std::uint64_t>(gap) * j / (k + 1));
      if (c > low && c < high && (counts.empty() || c > counts.back())) counts.push_back(c);
    }
    try_counts(counts);
  }
  out.found = true;
  out.nodes = high;
  return out;
}

}  // namespace hearth::sim
