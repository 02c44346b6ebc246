// TraceStats: the workload characteristics of Shahrad et al. ("Serverless in the Wild", ATC'20) measured on
// any trace — an Azure 2019 directory, an Azure 2021 file or the synthetic generator — so that real and
// synthetic traces can be compared side by side (`hearth trace stats`, docs/traces.md).
// Streaming: feed every batch of the workload's InvocationSource to add(); state is O(functions) (count, last
// arrival and a running mean/variance of inter-arrival times per function) plus O(minutes) per-minute totals,
// never O(invocations). finish() derives the distributions:
//   - invocations per day of each function and each app: count / (span in days), span = the source's span_us
//     (or the last arrival + 1 µs when the source does not know it);
//   - inter-arrival-time CV (stddev / mean) of each function with at least kMinIatsForCv inter-arrival times
//     (Azure 2019 traces: of the arrivals as the reader spreads them within each minute);
//   - functions per app, each function's average execution time (FunctionSpec::warm_us), each app's memory
//     (the sum of its functions' memory: the readers split an app's memory evenly over its functions);
//   - functions and invocations per trigger; invocations per hour of day (trace time 0 is minute
//     day_start_minute of a day) and per minute.
// add() throws std::invalid_argument naming the invocation when it refers to an unknown function or goes
// back in time (the InvocationSource contract).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "model/function_spec.h"
#include "model/invocation.h"

namespace hearth::trace {

inline constexpr std::uint64_t kMinIatsForCv = 2;
inline constexpr std::size_t kTriggerCount = 7;  // model::Trigger's enumerators

// Values sorted ascending; quantile(q) interpolates linearly between order statistics; 0 when empty.
struct Distribution {
  std::vector<double> sorted;
  double quantile(double q) const;
  // Share of values <= x (0 when empty).
  double share_at_most(double x) const;
  double mean() const;
};

struct TriggerRow {
  std::uint64_t functions = 0;
  std::uint64_t invocations = 0;
};

struct TraceSummary {
  std::size_t functions = 0;
  std::size_t apps = 0;
  std::uint64_t invocations = 0;
  model::Micros span_us = 0;
  Distribution function_daily;      // invocations per day, one value per function
  Distribution app_daily;           // invocations per day, one value per app
  Distribution iat_cv;              // one value per function with >= kMinIatsForCv inter-arrival times
  Distribution functions_per_app;
  Distribution exec_seconds;        // average execution time per function
  Distribution app_memory_mb;
  Distribution minute_totals;       // invocations in each minute of the span
  std::array<TriggerRow, kTriggerCount> triggers{};
  std::array<double, 24> hourly{};  // invocations per hour of day (summed over days)
  // Share of all invocations made by the most popular `app_share` of apps (e.g. 0.186).
  double top_app_invocation_share(double app_share) const;
};

class TraceStats {
 public:
  TraceStats(const std::vector<model::FunctionSpec>& functions, std::int64_t day_start_minute = 0);
  void add(const std::vector<model::Invocation>& batch);
  // span_us: the trace's span (InvocationSource::span_us()); 0 = up to the last arrival.
  TraceSummary finish(model::Micros span_us) const;

 private:
  struct PerFunction {
    std::uint64_t count = 0;
    model::Micros last = -1;
    double iat_mean = 0, iat_m2 = 0;  // Welford over the inter-arrival times (µs)
  };
  const std::vector<model::FunctionSpec>& functions_;
  std::int64_t day_start_minute_;
  std::vector<PerFunction> per_function_;
  std::vector<std::uint64_t> per_minute_;
  std::array<double, 24> hourly_{};
  std::uint64_t invocations_ = 0;
  model::Micros last_arrival_ = 0;
};

// The at most `points` (>= 2) evenly spaced quantiles of `d`, as (value, cumulative share) pairs, for CDF files.
std::vector<std::pair<double, double>> cdf_points(const Distribution& d, std::size_t points);

}  // namespace hearth::trace
