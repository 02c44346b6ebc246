#include "sim/latency_timeline.h"

#include <algorithm>

namespace hearth::sim {
namespace {

// The exact q-quantile (nearest rank) of `v`, which it reorders.
model::Micros quantile(std::vector<model::Micros>& v, double q) {
  if (v.empty()) return 0;
  const auto rank = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank), v.end());
  return v[rank];
}

}  // namespace

LatencyTimeline::LatencyTimeline(TimelineConfig config, std::size_t function_count) : config_(std::move(config)) {
  if (!enabled()) return;
  if (config_.interval_us <= 0) config_.interval_us = model::kMicrosPerSecond;
  if (!config_.functions.empty()) {
    watched_.assign(function_count, false);
    for (model::FunctionId f : config_.functions)
      if (f < function_count) watched_[f] = true;
  }
  const auto n = static_cast<std::size_t>((config_.to_us - config_.from_us + config_.interval_us - 1) / config_.interval_us);
  latency_.resize(n);
  overhead_.resize(n);
}

void LatencyTimeline::record(const model::Invocation& inv, model::Micros latency_us, model::Micros overhead_us) {
  if (inv.arrival_us < config_.from_us || inv.arrival_us >= config_.to_us) return;
  if (!watched_.empty() && (inv.function >= watched_.size() || !watched_[inv.function])) return;
  const auto i = static_cast<std::size_t>((inv.arrival_us - config_.from_us) / config_.interval_us);
  latency_[i].push_back(latency_us);
  overhead_[i].push_back(overhead_us);
}

std::vector<TimelinePoint> LatencyTimeline::points() const {
  std::vector<TimelinePoint> out;
  out.reserve(latency_.size());
  for (std::size_t i = 0; i < latency_.size(); ++i) {
    TimelinePoint p;
    p.start_us = config_.from_us + static_cast<model::Micros>(i) * config_.interval_us;
    std::vector<model::Micros> lat = latency_[i], over = overhead_[i];
    p.count = lat.size();
    p.p50_us = quantile(lat, 0.5);
    p.p99_us = quantile(lat, 0.99);
    p.overhead_p99_us = quantile(over, 0.99);
    out.push_back(p);
  }
  return out;
}

TimelinePoint LatencyTimeline::summary(model::Micros from_us, model::Micros to_us) const {
  std::vector<model::Micros> lat, over;
  for (std::size_t i = 0; i < latency_.size(); ++i) {
    const model::Micros start = config_.from_us + static_cast<model::Micros>(i) * config_.interval_us;
    if (start < from_us || start >= to_us) continue;
    lat.insert(lat.end(), latency_[i].begin(), latency_[i].end());
    over.insert(over.end(), overhead_[i].begin(), overhead_[i].end());
  }
  TimelinePoint p;
  p.start_us = from_us;
  p.count = lat.size();
  p.p50_us = quantile(lat, 0.5);
  p.p99_us = quantile(lat, 0.99);
  p.overhead_p99_us = quantile(over, 0.99);
  return p;
}

Recovery recovery(const std::vector<TimelinePoint>& points, model::Micros burst_start_us, model::Micros threshold_us,
                  int hold) {
  Recovery r;
  hold = std::max(hold, 1);
  int run = 0;
  model::Micros run_start = 0;
  for (const TimelinePoint& p : points) {
    if (p.start_us < burst_start_us) continue;
    r.peak_p99_us = std::max(r.peak_p99_us, p.p99_us);
    if (p.count == 0) continue;  // nothing arrived: no evidence either way
    if (p.overhead_p99_us > threshold_us) {
      run = 0;
      continue;
    }
    if (run++ == 0) run_start = p.start_us;
    if (run == hold && !r.recovered) {
      r.recovered = true;
      r.recovered_after_us = std::max<model::Micros>(0, run_start - burst_start_us);
    }
  }
  return r;
}

}  // namespace hearth::sim
