// LatencyTimeline: latency over time for a window of a run (a burst and its aftermath), per interval
// of arrival time (1 s by default), optionally for a subset of functions (the bursting ones): count,
// p50 and p99 of latency, and p99 of the overhead (latency − execution time = wait + start-up).
// Exact percentiles: it keeps every sample of the window (8 bytes x 2 per invocation), so enable it
// for windows, not 14-day runs. Also defines time to recover (see recovery()).
#pragma once

#include <cstdint>
#include <vector>

#include "model/invocation.h"
#include "model/time.h"

namespace hearth::sim {

struct TimelineConfig {
  model::Micros from_us = 0;
  model::Micros to_us = 0;  // empty window (to <= from): disabled
  model::Micros interval_us = model::kMicrosPerSecond;
  std::vector<model::FunctionId> functions;  // empty: every function
};

struct TimelinePoint {
  model::Micros start_us = 0;
  std::uint64_t count = 0;
  model::Micros p50_us = 0, p99_us = 0, overhead_p99_us = 0;
};

// Time to recover from a burst starting at `burst_start_us`: the first interval start t >= burst start
// from which `hold` consecutive intervals with arrivals each have p99 overhead <= `threshold_us`
// (intervals without arrivals are skipped); recovered_after_us = t − burst start (0: never degraded).
// recovered = false when no such run fits in the window. peak_p99_us: the highest interval p99 from
// the burst start on.
struct Recovery {
  bool recovered = false;
  model::Micros recovered_after_us = 0;
  model::Micros peak_p99_us = 0;
};

class LatencyTimeline {
 public:
  LatencyTimeline() = default;
  LatencyTimeline(TimelineConfig config, std::size_t function_count);

  bool enabled() const { return config_.to_us > config_.from_us; }
  // An invocation that arrived at inv.arrival_us took `latency_us`, of which `overhead_us` not executing.
  void record(const model::Invocation& inv, model::Micros latency_us, model::Micros overhead_us);
  std::vector<TimelinePoint> points() const;
  // Count, p50 and p99 of latency over the invocations that arrived in [from, to).
  TimelinePoint summary(model::Micros from_us, model::Micros to_us) const;
  const TimelineConfig& config() const { return config_; }

 private:
  TimelineConfig config_;
  std::vector<bool> watched_;  // by function id; empty = all
  std::vector<std::vector<model::Micros>> latency_, overhead_;  // by interval
};

Recovery recovery(const std::vector<TimelinePoint>& points, model::Micros burst_start_us, model::Micros threshold_us,
                  int hold);

}  // namespace hearth::sim
