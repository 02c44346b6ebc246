#include "sim/faascache_histogram.h"

#include <algorithm>
#include <cmath>

namespace hearth::sim {
namespace {

// First bucket whose cumulative fraction exceeds `fraction`: the one before it (head) or after it
// (tail); kBuckets when the CDF never exceeds it (rounding can leave the last value just below 1).
int find_percentile(const std::vector<double>& cdf, double fraction, bool head) {
  for (std::size_t i = 0; i < cdf.size(); ++i) {
    if (fraction < cdf[i]) {
      const int b = static_cast<int>(i);
      return head ? std::max(0, b - 1) : std::min(b + 1, static_cast<int>(cdf.size()));
    }
  }
  return static_cast<int>(cdf.size());
}

}  // namespace

FaasCacheHistogram::FaasCacheHistogram(std::size_t functions) : state_(functions) {}

void FaasCacheHistogram::set_prewarm(model::FunctionId fn, double prewarm_ms) {
  State& s = state_[fn];
  if (s.prewarm_ms != 0) prewarming_.erase({s.rank, fn});
  s.prewarm_ms = prewarm_ms;
  if (prewarm_ms != 0) prewarming_.insert({s.rank, fn});
}

void FaasCacheHistogram::observe(model::FunctionId fn, double now_ms) {
  State& s = state_[fn];
  if (s.rank == kUnseen) {
    s.rank = next_rank_++;
    s.last_seen_ms = now_ms;
    s.buckets.assign(kBuckets, 0);
    s.ttl_ms = kDefaultTtlMs;
    set_prewarm(fn, 0);
    return;
  }
  const double idle_ms = now_ms - s.last_seen_ms;
  s.last_seen_ms = now_ms;
  const auto minute = static_cast<std::int64_t>(std::floor(idle_ms / (60.0 * 1000.0)));  // FaasCache's floor
  if (minute >= kBuckets) return;

  // Welford's online update, in FaasCache's operation order.
  ++s.count;
  const double delta = static_cast<double>(minute) - s.mean;
  s.mean += delta / static_cast<double>(s.count);
  const double delta2 = static_cast<double>(minute) - s.mean;
  s.m2 += delta * delta2;
  ++s.buckets[static_cast<std::size_t>(minute)];

  if (s.count < 2) {
    s.ttl_ms = kDefaultTtlMs;
    set_prewarm(fn, 0);
    return;
  }
  const double variance = s.m2 / static_cast<double>(s.count);
  double total = 0;
  for (std::uint32_t b : s.buckets) total += b;  // exact: integer counts
  std::vector<double> cdf(kBuckets);
  double acc = 0;
  for (int i = 0; i < kBuckets; ++i) {
    acc += static_cast<double>(s.buckets[static_cast<std::size_t>(i)]) / total;
    cdf[static_cast<std::size_t>(i)] = acc;
  }
  const int head = find_percentile(cdf, 0.05, /*head=*/true);
  const int tail = find_percentile(cdf, 0.99, /*head=*/false);
  if (s.mean == 0 || variance / s.mean <= 2) {
    s.ttl_ms = static_cast<double>(tail * 60 * 1000) * 1.1;
    set_prewarm(fn, static_cast<double>(head * 60 * 1000) * 0.9);
  } else {
    s.ttl_ms = kDefaultTtlMs;
    set_prewarm(fn, 0);
  }
}

void FaasCacheHistogram::prewarming(std::vector<model::FunctionId>& out) const {
  out.clear();
  for (const auto& [rank, fn] : prewarming_) out.push_back(fn);
}

}  // namespace hearth::sim
