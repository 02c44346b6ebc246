// LatencyHistogram: a log-linear histogram of non-negative int64 values (microseconds) with 128
// sub-buckets per power of two, so any reported percentile is within 0.8 % of the true value.
// Memory is fixed (about 64 KB) whatever the number of samples: the simulator streams 14-day traces.
// Cost: add() is O(1) with no allocation; percentile() is O(buckets).
#pragma once

#include <array>
#include <cstdint>

namespace hearth::sim {

class LatencyHistogram {
 public:
  void add(std::int64_t value);
  void merge(const LatencyHistogram& other);

  std::uint64_t count() const { return count_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  std::int64_t max() const { return max_; }
  std::int64_t min() const { return count_ ? min_ : 0; }
  // The value at quantile q in [0,1] (0 when empty); the exact value for values below 128.
  std::int64_t percentile(double q) const;
  // The fraction of samples at most `value` (0 when empty): exact below 128, else counting the whole
  // bucket that holds `value` (values up to 0.8 % above it may count). For SLO-met ratios.
  double fraction_at_most(std::int64_t value) const;
  // Calls f(value, cumulative_fraction) for each non-empty bucket in increasing order (for CDF plots).
  template <typename F>
  void for_each_bucket(F&& f) const {
    std::uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      if (!counts_[i]) continue;
      seen += counts_[i];
      f(bucket_value(i), static_cast<double>(seen) / static_cast<double>(count_));
    }
  }

 private:
  static constexpr int kSubBits = 7;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kBuckets = (64 - kSubBits + 1) * kSub;
  static int bucket_of(std::int64_t value);
  static std::int64_t bucket_value(int bucket);  // the bucket's midpoint

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  __int128 sum_ = 0;
  std::int64_t min_ = INT64_MAX;
  std::int64_t max_ = 0;
};

}  // namespace hearth::sim
