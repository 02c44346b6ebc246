// Test helper: the first difference between two Metrics (every count, histogram bucket, per-function
// statistic, series point and 10-s window; doubles compared bit for bit), or "" when they are the same.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/metrics.h"

namespace hearth::sim::testing {

inline std::vector<std::pair<std::int64_t, double>> buckets(const LatencyHistogram& h) {
  std::vector<std::pair<std::int64_t, double>> out;
  h.for_each_bucket([&](std::int64_t v, double f) { out.emplace_back(v, f); });
  return out;
}

inline bool same_bits(double a, double b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }

inline std::string metrics_difference(const Metrics& a, const Metrics& b) {
  if (a.invocations() != b.invocations() || a.started() != b.started() || a.completed() != b.completed())
    return "counts";
  for (int k = 0; k < model::kStartKindCount; ++k)
    if (a.starts(static_cast<model::StartKind>(k)) != b.starts(static_cast<model::StartKind>(k))) return "starts";
  for (int r = 0; r < model::kDropReasonCount; ++r)
    if (a.dropped(static_cast<model::DropReason>(r)) != b.dropped(static_cast<model::DropReason>(r))) return "drops";
  const LatencyHistogram* ha[] = {&a.latency(), &a.wait(), &a.start_latency()};
  const LatencyHistogram* hb[] = {&b.latency(), &b.wait(), &b.start_latency()};
  for (int i = 0; i < 3; ++i)
    if (ha[i]->count() != hb[i]->count() || !same_bits(ha[i]->mean(), hb[i]->mean()) || ha[i]->min() != hb[i]->min() ||
        ha[i]->max() != hb[i]->max() || buckets(*ha[i]) != buckets(*hb[i]))
      return "histogram " + std::to_string(i);
  if (a.completed_per_10s() != b.completed_per_10s()) return "10-s windows";
  if (!same_bits(a.mean_cold_start_delay_us(), b.mean_cold_start_delay_us())) return "cold start delay";
  if (a.active_memory_samples() != b.active_memory_samples() ||
      !same_bits(a.mean_active_memory_fraction(), b.mean_active_memory_fraction()) ||
      !same_bits(a.mean_active_memory_balance(), b.mean_active_memory_balance()))
    return "active memory";
  if (a.per_function().size() != b.per_function().size()) return "functions";
  for (std::size_t f = 0; f < a.per_function().size(); ++f) {
    const FunctionStats &x = a.per_function()[f], &y = b.per_function()[f];
    if (x.invocations != y.invocations || x.cold_starts != y.cold_starts || !same_bits(x.slowdown_sum, y.slowdown_sum))
      return "function " + std::to_string(f);
  }
  if (a.series().size() != b.series().size()) return "series length";
  for (std::size_t i = 0; i < a.series().size(); ++i) {
    const SeriesPoint &x = a.series()[i], &y = b.series()[i];
    if (x.start_us != y.start_us || x.started != y.started || x.cold_starts != y.cold_starts ||
        x.completed != y.completed || !same_bits(x.used_memory_mb, y.used_memory_mb) ||
        !same_bits(x.idle_memory_mb, y.idle_memory_mb) || !same_bits(x.memory_balance, y.memory_balance))
      return "series point " + std::to_string(i);
  }
  return "";
}

}  // namespace hearth::sim::testing
