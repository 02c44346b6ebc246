// Metrics: everything a simulation run reports, accumulated in O(1) per event with memory
// proportional to the number of functions plus the number of series intervals (minutes).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/invocation.h"
#include "model/time.h"
#include "sim/latency_histogram.h"

namespace hearth::sim {

// One point of the per-interval series (throughput, cold-start ratio and memory over time).
struct SeriesPoint {
  model::Micros start_us = 0;
  std::uint64_t started = 0;      // invocations started in the interval
  std::uint64_t cold_starts = 0;  // of which cold
  std::uint64_t completed = 0;    // invocations completed in the interval
  double used_memory_mb = 0;      // cluster memory held by containers, sampled at the interval's start
  double idle_memory_mb = 0;      // of which idle (warm idle, paused, prewarmed)
  double memory_balance = 0;      // std-dev across nodes of the used memory fraction, at the same instant
};

struct FunctionStats {
  std::uint64_t invocations = 0;
  std::uint64_t cold_starts = 0;
  double slowdown_sum = 0;  // sum over invocations of latency / max(exec, 1 ms)
};

class Metrics {
 public:
  Metrics(std::size_t functions, model::Micros interval_us);
  // Invocations arriving before this are not counted by record_start / record_drop (a held-out
  // evaluation: the run before it warms the policies up). record_completion counts every completion.
  void set_measure_from(model::Micros from_us) { measure_from_us_ = from_us; }
  model::Micros measure_from_us() const { return measure_from_us_; }

  // An invocation started at `start_us` after `startup_us` of start-up and ran for `run_us` (its trace
  // duration, or longer where it shared the CPU); the 4-argument form runs for inv.exec_us.
  void record_start(const model::Invocation& inv, model::StartKind kind, model::Micros start_us,
                    model::Micros startup_us, model::Micros run_us);
  void record_start(const model::Invocation& inv, model::StartKind kind, model::Micros start_us,
                    model::Micros startup_us) {
    record_start(inv, kind, start_us, startup_us, inv.exec_us);
  }
  void record_completion(model::Micros at_us);
  // Starts loading a function's statistics (a hint: no effect).
  void prefetch(model::FunctionId fn) const { __builtin_prefetch(&functions_[fn]); }
  void record_drop(const model::Invocation& inv, model::DropReason reason);
  // Snapshot of cluster memory for the series at time `at_us`.
  void record_memory(model::Micros at_us, double used_mb, double idle_mb, double balance);
  // One per-second sample of the nodes' active memory (memory of busy containers / node capacity, the
  // chapter's "memory usage", §4.2 and Fig. 4.15): their mean and their population std-dev across nodes.
  void record_active_memory(double mean_fraction, double stddev);

  std::uint64_t invocations() const { return invocations_; }
  std::uint64_t started() const { return started_; }
  std::uint64_t cold_starts() const { return starts_[static_cast<int>(model::StartKind::kCold)]; }
  std::uint64_t starts(model::StartKind k) const { return starts_[static_cast<int>(k)]; }
  std::uint64_t dropped() const;
  std::uint64_t dropped(model::DropReason r) const { return drops_[static_cast<int>(r)]; }
  std::uint64_t completed() const { return completed_; }
  const LatencyHistogram& latency() const { return latency_; }
  const LatencyHistogram& wait() const { return wait_; }
  // Arrival to start of execution (wait + startup): the latency Sophon's evaluation reports.
  const LatencyHistogram& start_latency() const { return start_latency_; }
  // The highest completion rate (per second) over aligned 10-second windows: Sophon's throughput measure.
  double max_throughput_10s() const;
  // Completions in each aligned 10-second window, from time 0.
  const std::vector<std::uint32_t>& completed_per_10s() const { return completed_per_10s_; }
  // Mean container start-up of the cold starts (creation, contention included), µs; 0 without cold starts:
  // the "average delay of cold starts" of Figs. 4.13-4.14.
  double mean_cold_start_delay_us() const;
  // Means over the active-memory samples (Fig. 4.15: bars = mean usage, error bars = mean std-dev).
  double mean_active_memory_fraction() const;
  double mean_active_memory_balance() const;
  std::uint64_t active_memory_samples() const { return active_samples_; }
  const std::vector<FunctionStats>& per_function() const { return functions_; }
  const std::vector<SeriesPoint>& series() const { return series_; }
  model::Micros interval_us() const { return interval_us_; }

 private:
  // The series point of the interval holding `at_us` (created with those before it if new). The last
  // interval asked is remembered: events come in time order, so most calls are one comparison pair.
  SeriesPoint& point(model::Micros at_us) {
    if (at_us >= point_from_ && at_us < point_to_) return series_[point_index_];
    return new_point(at_us);
  }
  SeriesPoint& new_point(model::Micros at_us);

  model::Micros interval_us_;
  model::Micros measure_from_us_ = 0;
  std::uint64_t invocations_ = 0;
  std::uint64_t started_ = 0;
  std::uint64_t completed_ = 0;
  std::array<std::uint64_t, model::kStartKindCount> starts_{};
  std::array<std::uint64_t, model::kDropReasonCount> drops_{};
  LatencyHistogram latency_;
  LatencyHistogram wait_;
  LatencyHistogram start_latency_;
  std::vector<std::uint32_t> completed_per_10s_;
  std::size_t window_ = 0;  // the window of the last completion, which starts at window_from_
  model::Micros window_from_ = model::kNever / 2;  // none yet: every instant is before it
  double cold_startup_us_sum_ = 0;
  double active_fraction_sum_ = 0;
  double active_stddev_sum_ = 0;
  std::uint64_t active_samples_ = 0;
  std::vector<FunctionStats> functions_;
  std::vector<SeriesPoint> series_;
  model::Micros point_from_ = 0, point_to_ = 0;  // the interval point() found last: [from, to)
  std::size_t point_index_ = 0;                   // and its index in series_
};

}  // namespace hearth::sim
