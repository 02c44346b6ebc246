#include "policy/histogram_arrival_predictor.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "policy/arrival_history.h"

namespace hearth::policy {

HistogramArrivalPredictor::HistogramArrivalPredictor(std::span<const model::FunctionSpec> functions,
                                                     HybridHistogramParams params)
    : p_(params), bins_(static_cast<std::size_t>(params.range_us / model::kMicrosPerMinute)) {
  if (bins_ < 1) throw std::invalid_argument("histogram predictor: range must be at least 1m");
  for (const auto& f : functions) on_function_added(f);
}

void HistogramArrivalPredictor::on_function_added(const model::FunctionSpec& fn) { state(fn.id); }

HistogramArrivalPredictor::State& HistogramArrivalPredictor::state(model::FunctionId fn) {
  if (fns_.size() <= fn) fns_.resize(static_cast<std::size_t>(fn) + 1);
  return fns_[fn];
}

void HistogramArrivalPredictor::on_arrival(model::FunctionId fn, model::Micros now) {
  State& s = state(fn);
  const std::int64_t m = ArrivalHistory::minute_of(now);
  ++s.arrivals;
  if (m == s.last_minute) return;
  ++s.active_minutes;
  if (s.last_minute >= 0) {
    const std::int64_t idle = m - s.last_minute;  // >= 1
    if (idle <= static_cast<std::int64_t>(bins_)) {
      if (s.bins.empty()) s.bins.assign(bins_ + 1, 0);
      ++s.bins[static_cast<std::size_t>(idle)];
      ++s.in_range;
      s.sum += static_cast<double>(idle);
      s.sum_sq += static_cast<double>(idle) * static_cast<double>(idle);
    } else {
      ++s.out_of_bounds;
    }
  } else {
    s.first_minute = m;
  }
  s.last_minute = m;
}

double HistogramArrivalPredictor::predict_next_minute(model::FunctionId fn, model::Micros now) {
  const State& s = state(fn);
  if (s.last_minute < 0) return 0;
  const std::int64_t target = ArrivalHistory::minute_of(now) + 1;
  const double per_active = static_cast<double>(s.arrivals) / static_cast<double>(s.active_minutes);
  const std::uint64_t total = s.in_range + s.out_of_bounds;
  bool representative = s.in_range >= static_cast<std::uint64_t>(p_.min_samples) && s.out_of_bounds * 2 <= total;
  if (representative) {
    const double n = static_cast<double>(s.in_range), mean = s.sum / n;
    const double cv = std::sqrt(std::max(0.0, s.sum_sq / n - mean * mean)) / mean;
    representative = cv <= p_.max_cv;
  }
  if (!representative) {
    const double minutes = static_cast<double>(std::max<std::int64_t>(1, target - s.first_minute));
    return static_cast<double>(s.arrivals) / minutes;
  }
  const std::int64_t d = std::max<std::int64_t>(1, target - s.last_minute);
  if (d > static_cast<std::int64_t>(bins_)) return 0;  // beyond the histogram: only out-of-bounds idle times remain
  std::uint64_t tail = s.out_of_bounds;
  for (std::size_t k = static_cast<std::size_t>(d); k <= bins_; ++k) tail += s.bins[k];
  if (tail == 0) return 0;
  return static_cast<double>(s.bins[static_cast<std::size_t>(d)]) / static_cast<double>(tail) * per_active;
}

}  // namespace hearth::policy
