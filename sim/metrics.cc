#include "sim/metrics.h"

#include <algorithm>

namespace hearth::sim {
namespace {
constexpr model::Micros kThroughputWindowUs = 10 * model::kMicrosPerSecond;
}  // namespace

Metrics::Metrics(std::size_t functions, model::Micros interval_us)
    : interval_us_(interval_us), functions_(functions) {}

SeriesPoint& Metrics::new_point(model::Micros at_us) {
  const auto index = static_cast<std::size_t>(std::max<model::Micros>(at_us, 0) / interval_us_);
  while (series_.size() <= index) {
    SeriesPoint p;
    p.start_us = static_cast<model::Micros>(series_.size()) * interval_us_;
    series_.push_back(p);
  }
  if (at_us >= 0) {  // negative instants share point 0 but take this path
    point_index_ = index;
    point_from_ = static_cast<model::Micros>(index) * interval_us_;
    point_to_ = point_from_ + interval_us_;
  }
  return series_[index];
}

void Metrics::record_start(const model::Invocation& inv, model::StartKind kind, model::Micros start_us,
                           model::Micros startup_us, model::Micros run_us) {
  if (inv.arrival_us < measure_from_us_) return;
  const model::Micros wait_us = start_us - inv.arrival_us;
  const model::Micros latency_us = wait_us + startup_us + run_us;
  ++invocations_;
  ++started_;
  ++starts_[static_cast<int>(kind)];
  latency_.add(latency_us);
  wait_.add(wait_us);
  start_latency_.add(wait_us + startup_us);
  FunctionStats& f = functions_[inv.function];
  ++f.invocations;
  const bool cold = kind == model::StartKind::kCold;
  f.cold_starts += cold;
  if (cold) cold_startup_us_sum_ += static_cast<double>(startup_us);
  f.slowdown_sum += static_cast<double>(latency_us) /
                    static_cast<double>(std::max<model::Micros>(inv.exec_us, model::kMicrosPerMilli));
  SeriesPoint& p = point(start_us);
  ++p.started;
  p.cold_starts += cold;
}

void Metrics::record_completion(model::Micros at_us) {
  ++completed_;
  ++point(at_us).completed;
  if (at_us < window_from_ || at_us >= window_from_ + kThroughputWindowUs) {  // not the last one's window
    window_ = static_cast<std::size_t>(std::max<model::Micros>(at_us, 0) / kThroughputWindowUs);
    window_from_ = at_us >= 0 ? static_cast<model::Micros>(window_) * kThroughputWindowUs : -kThroughputWindowUs;
    if (completed_per_10s_.size() <= window_) completed_per_10s_.resize(window_ + 1, 0);
  }
  ++completed_per_10s_[window_];
}

double Metrics::max_throughput_10s() const {
  std::uint32_t best = 0;
  for (std::uint32_t c : completed_per_10s_) best = std::max(best, c);
  return static_cast<double>(best) * model::kMicrosPerSecond / static_cast<double>(kThroughputWindowUs);
}

void Metrics::record_drop(const model::Invocation& inv, model::DropReason reason) {
  if (inv.arrival_us < measure_from_us_) return;
  ++invocations_;
  ++drops_[static_cast<int>(reason)];
}

void Metrics::record_memory(model::Micros at_us, double used_mb, double idle_mb, double balance) {
  SeriesPoint& p = point(at_us);
  p.used_memory_mb = used_mb;
  p.idle_memory_mb = idle_mb;
  p.memory_balance = balance;
}

void Metrics::record_active_memory(double mean_fraction, double stddev) {
  active_fraction_sum_ += mean_fraction;
  active_stddev_sum_ += stddev;
  ++active_samples_;
}

double Metrics::mean_cold_start_delay_us() const {
  const std::uint64_t cold = cold_starts();
  return cold ? cold_startup_us_sum_ / static_cast<double>(cold) : 0.0;
}

double Metrics::mean_active_memory_fraction() const {
  return active_samples_ ? active_fraction_sum_ / static_cast<double>(active_samples_) : 0.0;
}

double Metrics::mean_active_memory_balance() const {
  return active_samples_ ? active_stddev_sum_ / static_cast<double>(active_samples_) : 0.0;
}

std::uint64_t Metrics::dropped() const {
  std::uint64_t total = 0;
  for (auto d : drops_) total += d;
  return total;
}

}  // namespace hearth::sim
