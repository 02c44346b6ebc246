// Hybrid histogram keep-alive (Shahrad et al., "Serverless in the Wild", USENIX ATC'20, §4.2).
// Per application, a histogram of idle times (end of an execution → next arrival of the app) over
// `range` (4 h) in 1-minute bins; idle times beyond the range count as out-of-bounds.
//   prewarm window   = lower edge of the bin holding the `head` (5th) percentile × (1 − margin)
//   keep-alive window = upper edge of the bin holding the `tail` (99th) percentile × (1 + margin)
// After an execution the container is released at once and a fresh one pre-loaded at
// now + prewarm window, kept until now + keep-alive window; with a zero prewarm window the container is
// simply kept for the keep-alive window. If the histogram is not representative — fewer than
// `min_samples` idle times, idle times whose coefficient of variation (std-dev / mean) is above `max_cv`
// (the rule: too spread out to predict), or more than half the idle times out of bounds (where the paper switches to ARIMA, which
// Hearth does not model) — the policy falls back to keeping the container for the whole range, no prewarm.
// Eviction under pressure: least recently used. Cost: O(1) amortised; windows are recomputed (O(bins))
// only when the app's histogram changed. Memory: bins × 4 bytes per app that has been idle.
#pragma once

#include <cstdint>
#include <vector>

#include "policy/keepalive.h"
#include "policy/registry.h"

namespace hearth::policy {

struct HybridHistogramParams {
  model::Micros range_us = model::kMicrosPerHour * 4;
  model::Micros bin_us = model::kMicrosPerMinute;
  double head_percentile = 5;
  double tail_percentile = 99;
  double margin = 0.1;
  std::int64_t min_samples = 10;
  double max_cv = 2.0;
};

class HybridHistogramKeepAlive final : public KeepAlivePolicy {
 public:
  HybridHistogramKeepAlive(const PolicyContext& ctx, HybridHistogramParams p);
  std::string_view name() const override { return "hybrid-histogram"; }
  // Makes room for the function's app (a new app starts with an empty histogram; others are kept).
  void on_function_added(const model::FunctionSpec& fn) override;
  void on_arrival(const model::FunctionSpec& fn, model::Micros now) override;
  IdleDecision on_idle(const model::Container& c, const model::FunctionSpec& fn, model::Micros now) override;

  struct Windows {
    bool representative = false;
    model::Micros prewarm_us = 0;
    model::Micros keepalive_us = 0;
  };
  // The current windows of app `app` (computes them if stale).
  Windows windows(model::AppId app);

 private:
  struct AppState {
    std::vector<std::uint32_t> bins;
    std::uint64_t in_range = 0;
    std::uint64_t out_of_bounds = 0;
    double sum = 0, sum_sq = 0;  // of the in-range idle times, in minutes
    model::Micros last_end = -1;  // -1: no execution ended since the last recorded idle time
    bool dirty = true;
    Windows cached;
  };
  Windows compute(const AppState& s) const;

  HybridHistogramParams p_;
  std::size_t bin_count_;
  std::vector<AppState> apps_;
};

}  // namespace hearth::policy
