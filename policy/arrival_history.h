// ArrivalHistory: every function's invocation count per minute since minute 0, as the learned arrival
// predictors (policy/learned_arrival_predictor.h) need it for lag features and for (re)training.
// Memory: 4 bytes per function per minute of history it has seen (500 functions × 14 days = 40 MB).
// Cost: add O(1) amortised; count O(1); window_sum O(window).
#pragma once

#include <cstdint>
#include <vector>

#include "model/function_spec.h"
#include "model/time.h"

namespace hearth::policy {

class ArrivalHistory {
 public:
  // One arrival of `fn` at `now` (>= 0).
  void add(model::FunctionId fn, model::Micros now);
  // Makes room for `fn` (ids may arrive in any order).
  void ensure(model::FunctionId fn);
  std::size_t functions() const { return counts_.size(); }
  // Arrivals of `fn` in minute `minute` (0 outside what was recorded, or for a negative minute).
  std::uint32_t count(model::FunctionId fn, std::int64_t minute) const;
  // Arrivals of `fn` in minutes [from, to) (clipped at 0).
  std::uint64_t window_sum(model::FunctionId fn, std::int64_t from, std::int64_t to) const;
  // Arrivals of `fn` in all minutes before `to`.
  std::uint64_t total_before(model::FunctionId fn, std::int64_t to) const { return window_sum(fn, 0, to); }

  static std::int64_t minute_of(model::Micros t) { return t / model::kMicrosPerMinute; }

 private:
  std::vector<std::vector<std::uint32_t>> counts_;
};

}  // namespace hearth::policy
