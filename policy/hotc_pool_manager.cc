#include "policy/hotc_pool_manager.h"

#include <algorithm>

#include "policy/pool_plan.h"

namespace hearth::policy {

HotcPoolManager::HotcPoolManager(std::unique_ptr<ArrivalPredictor> predictor, const HotcPoolParams& params)
    : PredictivePoolManager(std::move(predictor), params.interval_us), params_(params) {}

HotcPoolManager::Series& HotcPoolManager::series(model::FunctionId fn) {
  while (fn >= series_.size())
    series_.push_back(Series{MinuteCounts{}, 0, {-1, -1}, {0, 0}, 0, MarkovErrorCorrection(params_.bounds)});
  return series_[fn];
}

// Folds the minutes complete at `now` (and counts an arrival): the minute the pending forecast was for
// gives the chain an observation.
void HotcPoolManager::roll(Series& s, model::Micros now, bool arrival) {
  const auto fold = [&](std::uint32_t count, std::int64_t repeat) {
    // The older pending forecast first, so the chain sees its minutes in order.
    const int first = s.forecast_minute[0] <= s.forecast_minute[1] ? 0 : 1;
    for (int i : {first, 1 - first}) {
      const std::int64_t m = s.forecast_minute[i];
      if (m >= s.next_minute && m < s.next_minute + repeat) {
        s.chain.observe(s.forecast[i], count);
        s.forecast_minute[i] = -1;
      }
    }
    s.next_minute += repeat;
  };
  if (arrival) {
    if (!s.bins.started()) s.next_minute = now / model::kMicrosPerMinute;
    s.bins.add(now, fold);
  } else {
    s.bins.roll(now, fold);
  }
}

void HotcPoolManager::on_arrival(const model::Invocation& inv, model::Micros now) {
  PredictivePoolManager::on_arrival(inv, now);
  roll(series(inv.function), now, true);
}

double HotcPoolManager::corrected(model::FunctionId fn) const {
  return fn < series_.size() ? series_[fn].corrected : 0;
}

std::vector<PoolAction> HotcPoolManager::on_tick(const model::ClusterView& view, model::Micros now) {
  PoolPlan plan(view);
  std::vector<PoolPlan::PrewarmWish> wants;
  for (const Tracked& t : functions()) {
    if (!t.known) continue;
    const model::FunctionId fn = t.spec.id;
    Series& s = series(fn);
    roll(s, now, false);
    const double forecast = predict(fn, now);
    // The forecast is for the minute after now's; the chain scores it once that minute is complete.
    if (s.bins.started()) {
      const std::int64_t m = now / model::kMicrosPerMinute + 1;
      // Replace the forecast for the same minute, else the older (already complete or free) slot.
      const int slot = s.forecast_minute[0] == m   ? 0
                       : s.forecast_minute[1] == m ? 1
                       : s.forecast_minute[0] < s.forecast_minute[1] ? 0 : 1;
      s.forecast_minute[slot] = m;
      s.forecast[slot] = forecast;
    }
    s.corrected = s.chain.correct(forecast);
    const std::int32_t target =
        s.corrected >= params_.min_arrivals ? needed_containers(s.corrected, table().row(fn, now).exec_us) : 0;
    const std::int32_t idle = plan.idle(fn), live = running(fn) + idle;
    const std::int32_t spare = idle - std::min(idle, waiting(fn));  // the rest the waiting requests take
    if (live > target && spare > 0) plan.terminate(fn, std::min(spare, live - target));
    if (live < target) wants.push_back({s.corrected, fn, t.spec.memory_mb, target - live});
  }
  plan.prewarm_ranked(std::move(wants));
  return plan.take();
}

}  // namespace hearth::policy
