#include "policy/request_schedulers.h"

#include <algorithm>
#include <utility>

namespace hearth::policy {
namespace {

constexpr double kCpuTolerance = 1e-9;
constexpr double kLeastPriority = 1e-9;

}  // namespace

std::vector<std::size_t> FifoScheduler::select(std::span<const PendingRequest> pending, const NodeCapacity& capacity,
                                               model::Micros now) {
  (void)now;
  std::vector<std::size_t> out;
  model::MegaBytes mem = capacity.available_mb;
  double cpu = capacity.available_cores;
  for (std::size_t i = 0; i < pending.size(); ++i) {
    if (pending[i].memory_mb > mem || pending[i].cpu_cores > cpu + kCpuTolerance) break;
    mem -= pending[i].memory_mb;
    cpu -= pending[i].cpu_cores;
    out.push_back(i);
  }
  return out;
}

const char* knapsack_solver_name(KnapsackSolverKind k) { return k == KnapsackSolverKind::kExact ? "exact" : "greedy"; }

KnapsackScheduler::KnapsackScheduler(KnapsackSchedulerConfig config) : config_(std::move(config)) {
  if (config_.slo) guard_.emplace(*config_.slo);
}

void KnapsackScheduler::on_function_added(const model::FunctionSpec& fn) {
  if (cold_start_us_.size() <= fn.id) cold_start_us_.resize(fn.id + 1, 0);
  cold_start_us_[fn.id] = fn.cold_start_us;
}

double KnapsackScheduler::cached_priority(model::FunctionId fn, model::Micros now) {
  if (cache_epoch_.size() <= fn) {
    cache_epoch_.resize(fn + 1, 0);
    priority_cache_.resize(fn + 1, 0);
  }
  if (cache_epoch_[fn] != epoch_) {
    cache_epoch_[fn] = epoch_;
    priority_cache_[fn] = std::max(priority(fn, now), kLeastPriority);
  }
  return priority_cache_[fn];
}

std::vector<std::size_t> KnapsackScheduler::select(std::span<const PendingRequest> pending,
                                                   const NodeCapacity& capacity, model::Micros now) {
  ++decisions_;
  ++epoch_;
  std::vector<std::size_t> out;
  model::MegaBytes mem = capacity.available_mb;
  double cpu = capacity.available_cores;
  items_.clear();
  item_request_.clear();
  bool blocked = false;  // an urgent request did not fit: nothing behind it starts
  for (std::size_t i = 0; i < pending.size(); ++i) {
    const PendingRequest& r = pending[i];
    const model::Micros wait = now - r.arrival_us;
    if (config_.timeout_us != model::kNever && wait > config_.timeout_us) continue;
    if (guard_) {
      const model::Micros cold = r.function < cold_start_us_.size() ? cold_start_us_[r.function] : 0;
      if (guard_->urgent(wait, cold)) {
        if (blocked) continue;
        if (r.memory_mb <= mem && r.cpu_cores <= cpu + kCpuTolerance) {
          out.push_back(i);
          mem -= r.memory_mb;
          cpu -= r.cpu_cores;
        } else {
          blocked = true;
        }
        continue;
      }
    }
    items_.push_back(KnapsackItem{cached_priority(r.function, now), r.memory_mb, r.cpu_cores});
    item_request_.push_back(i);
  }
  if (blocked || items_.empty()) return out;
  const KnapsackCapacity cap{std::max<model::MegaBytes>(mem, 0), std::max(cpu, 0.0)};
  KnapsackSolution s;
  if (config_.solver == KnapsackSolverKind::kExact) {
    s = solve_knapsack_exact(items_, cap, config_.node_budget);
    if (!s.optimal) ++inexact_;
  } else {
    s = solve_knapsack_greedy(items_, cap);
  }
  std::stable_sort(s.chosen.begin(), s.chosen.end(), [&](std::size_t a, std::size_t b) {
    const bool wa = pending[item_request_[a]].warm, wb = pending[item_request_[b]].warm;
    if (wa != wb) return wa;
    return items_[a].value > items_[b].value;
  });
  for (std::size_t k : s.chosen) out.push_back(item_request_[k]);
  return out;
}

}  // namespace hearth::policy
