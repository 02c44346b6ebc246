// The request schedulers of policy/request_scheduler.h that need no learning:
//   FifoScheduler       oldest first while it fits (what both engines did before schedulers: a node's
//                       queue drains from its head and stops at the first request that does not fit).
//                       Cost O(started + 1) per select.
//   KnapsackScheduler   Eqs. 5-7 (policy/priority_knapsack.h): drops from consideration the requests that
//                       waited past the timeout T (the engine drops them), starts the SLO guard's urgent
//                       requests first (policy/slo_guard.h; optional), then solves the knapsack over the rest
//                       with the capacity left, greedy or exact. Priorities come from priority() (a subclass:
//                       IncendioScheduler's Function Info Table and priority model), asked once per function
//                       per select; a priority ≤ 0 counts as 1e-9 (such a request still fills capacity that
//                       would otherwise idle, after everything of positive priority).
//                       Urgent requests start oldest first; the first urgent one that does not fit blocks
//                       everything behind it (capacity then accumulates for it, instead of smaller requests
//                       overtaking it forever). The start order: urgent, then the chosen requests with an idle
//                       container (so that a cold start's evictions cannot take a container a warm one was
//                       given), then the rest, each by priority (higher first), then age.
//                       Cost: greedy O(n log n); exact O(n·g) to group plus the branch and bound (≤ its node
//                       budget); n pending requests, g distinct functions among them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "policy/priority_knapsack.h"
#include "policy/request_scheduler.h"
#include "policy/slo_guard.h"

namespace hearth::policy {

class FifoScheduler final : public RequestScheduler {
 public:
  std::string_view name() const override { return "fifo"; }
  std::vector<std::size_t> select(std::span<const PendingRequest> pending, const NodeCapacity& capacity,
                                  model::Micros now) override;
};

enum class KnapsackSolverKind { kGreedy, kExact };
const char* knapsack_solver_name(KnapsackSolverKind k);

struct KnapsackSchedulerConfig {
  std::string name = "greedy";
  KnapsackSolverKind solver = KnapsackSolverKind::kGreedy;
  std::optional<SloGuardConfig> slo;          // none: no SLO guard
  model::Micros timeout_us = model::kNever;   // T of Eq. 6: requests that waited longer are not chosen
  std::uint64_t node_budget = kDefaultKnapsackNodeBudget;  // exact only
};

class KnapsackScheduler : public RequestScheduler {
 public:
  explicit KnapsackScheduler(KnapsackSchedulerConfig config);
  std::string_view name() const override { return config_.name; }
  void on_function_added(const model::FunctionSpec& fn) override;
  std::vector<std::size_t> select(std::span<const PendingRequest> pending, const NodeCapacity& capacity,
                                  model::Micros now) override;

  // Decisions where the exact solver hit its node budget (its answer then is the best found, ≥ greedy).
  std::uint64_t inexact_decisions() const { return inexact_; }
  std::uint64_t decisions() const { return decisions_; }

 protected:
  // The priority of `fn`'s requests now (higher runs first).
  virtual double priority(model::FunctionId fn, model::Micros now) = 0;

 private:
  double cached_priority(model::FunctionId fn, model::Micros now);

  KnapsackSchedulerConfig config_;
  std::optional<SloGuard> guard_;
  std::vector<model::Micros> cold_start_us_;  // function → its spec's cold start (the adaptive SLO)
  std::vector<double> priority_cache_;        // function → priority in this select
  std::vector<std::uint64_t> cache_epoch_;
  std::uint64_t epoch_ = 0;
  std::vector<KnapsackItem> items_;           // scratch
  std::vector<std::size_t> item_request_;     // item → index into pending
  std::uint64_t inexact_ = 0, decisions_ = 0;
};

}  // namespace hearth::policy
