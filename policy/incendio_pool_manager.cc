#include "policy/incendio_pool_manager.h"

#include <algorithm>

#include "policy/pool_plan.h"

namespace hearth::policy {
namespace {

double secs(model::Micros us) { return static_cast<double>(us) / model::kMicrosPerSecond; }

}  // namespace

IncendioPoolManager::IncendioPoolManager(std::unique_ptr<ArrivalPredictor> predictor,
                                         std::unique_ptr<PriorityModel> priority, const IncendioPoolParams& params)
    : PredictivePoolManager(std::move(predictor), params.interval_us), priority_(std::move(priority)), params_(params) {}

std::vector<PoolAction> IncendioPoolManager::on_tick(const model::ClusterView& view, model::Micros now) {
  PoolPlan plan(view);
  std::vector<PoolPlan::PrewarmWish> wants;
  for (const Tracked& t : functions()) {
    if (!t.known) continue;
    const model::FunctionId fn = t.spec.id;
    const double arrivals = predict(fn, now);
    const std::int32_t idle = plan.idle(fn);
    const std::int32_t spare = idle - std::min(idle, waiting(fn));  // the rest the waiting requests take
    if (arrivals < params_.min_arrivals) {
      if (params_.terminate_unpredicted && spare > 0) plan.terminate(fn, spare);
      continue;
    }
    const FunctionInfo row = table().row(fn, now);
    const std::int32_t needed = needed_containers(arrivals, row.exec_us);
    const std::int32_t upcoming = std::max(0, needed - running(fn));  // containers upcoming requests need
    const double gap_s = 60.0 / arrivals, cost_s = secs(row.term_us + row.init_us);
    const bool keep = cost_s > gap_s;
    const std::int32_t kept = keep ? std::min(spare, upcoming) : 0;
    if (spare > kept) plan.terminate(fn, spare - kept);
    if (keep && spare < upcoming) wants.push_back({priority_->priority(row), fn, t.spec.memory_mb, upcoming - spare});
  }
  plan.prewarm_ranked(std::move(wants));
  return plan.take();
}

}  // namespace hearth::policy
