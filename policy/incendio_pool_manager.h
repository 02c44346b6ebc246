// IncendioPoolManager: Incendio's Container Manager (§V-B, last paragraph, of seed 002). Every interval,
// for each function f, with λ = the predictor's expected arrivals of f in the next minute and f's row of
// the Function Info Table (running means; policy/function_info_table.h):
//   needed  = max(1, ⌈λ · Exec / 60 s⌉)      containers the predicted requests occupy at once (Little)
//   gap     = 60 s / λ                        the gap to the next predicted arrival (mean inter-arrival
//                                             time of the predicted minute)
//   cost    = Term + Init                     the termination cost of an idle container: destroying it
//                                             and creating its replacement for the next request
//   running = f's requests holding a busy container; waiting = f's requests arrived and not started
//             (queued for a container or for CPU); idle = f's idle containers in the cluster
//   spare   = idle − min(idle, waiting)       idle containers no waiting request will take: the rule
//                                             never terminates the ones the waiting requests need
//   - λ < min (no predicted arrival): the spare containers correspond to no upcoming request: terminated
//     (unpredicted=terminate, the default) or left to the keep-alive policy (unpredicted=keep);
//   - spare containers beyond needed − running correspond to no upcoming request: terminated;
//   - the others correspond to an upcoming request: kept while cost > gap (the request comes sooner than
//     a replacement could be made), otherwise terminated to release the memory;
//   - while cost > gap and running + spare < needed, the missing containers are prewarmed where memory allows,
//     functions in descending priority (the priority model, policy/priority_model.h; ties by id) so the
//     important ones get the memory first. A function whose idle containers the rule terminates is not
//     prewarmed (the two rules never fight).
// The keep-alive policy still expires and evicts idle containers as usual. docs/incendio.md ("Pool
// manager") gives the reasons for each definition.
// Deterministic; no I/O. Cost per tick: O(functions · (nodes + predictor) + prewarms · nodes).
#pragma once

#include <memory>
#include <string_view>

#include "policy/predictive_pool_manager.h"
#include "policy/priority_model.h"

namespace hearth::policy {

struct IncendioPoolParams {
  model::Micros interval_us = model::kMicrosPerMinute;
  double min_arrivals = 0.1;          // predictions below this are "no predicted arrival"
  bool terminate_unpredicted = true;  // false: leave such functions' idle containers to the keep-alive
};

class IncendioPoolManager final : public PredictivePoolManager {
 public:
  IncendioPoolManager(std::unique_ptr<ArrivalPredictor> predictor, std::unique_ptr<PriorityModel> priority,
                      const IncendioPoolParams& params);
  std::string_view name() const override { return "incendio"; }
  std::vector<PoolAction> on_tick(const model::ClusterView& view, model::Micros now) override;

 private:
  std::unique_ptr<PriorityModel> priority_;
  IncendioPoolParams params_;
};

}  // namespace hearth::policy
