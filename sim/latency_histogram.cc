#include "sim/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace hearth::sim {

int LatencyHistogram::bucket_of(std::int64_t value) {
  const auto v = static_cast<std::uint64_t>(std::max<std::int64_t>(value, 0));
  if (v < static_cast<std::uint64_t>(kSub)) return static_cast<int>(v);
  const int msb = 63 - std::countl_zero(v);
  const int shift = msb - kSubBits;
  return (shift + 1) * kSub + static_cast<int>((v >> shift) - kSub);
}

std::int64_t LatencyHistogram::bucket_value(int bucket) {
  if (bucket < kSub) return bucket;
  const int shift = bucket / kSub - 1;
  const std::int64_t low = static_cast<std::int64_t>(bucket % kSub + kSub) << shift;
  return low + ((std::int64_t{1} << shift) >> 1);
}

void LatencyHistogram::add(std::int64_t value) {
  ++counts_[bucket_of(value)];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

std::int64_t LatencyHistogram::percentile(double q) const {
  if (!count_) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(bucket_value(i), min_, max_);
  }
  return max_;
}

double LatencyHistogram::fraction_at_most(std::int64_t value) const {
  if (!count_ || value < 0) return 0;
  std::uint64_t seen = 0;
  for (int i = 0, last = bucket_of(value); i <= last; ++i) seen += counts_[i];
  return static_cast<double>(seen) / static_cast<double>(count_);
}

}  // namespace hearth::sim
