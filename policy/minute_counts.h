// MinuteCounts: one function's arrivals binned per minute, for predictors that learn from complete
// minutes only. A series starts at the minute of the function's first arrival; every later minute is
// handed to the caller's fold once complete (a minute is complete once a time in a later minute is seen):
//   fold(count, repeat)  `repeat` consecutive complete minutes holding `count` arrivals each: the counted
//                        minute as (count, 1), the empty minutes after it as one (0, k) call, so a long
//                        silence costs O(1) for a predictor with a closed form.
// Times are non-negative (int64 µs since trace start) and non-decreasing across add() calls.
// Header-only; no I/O. Cost: O(1) per call plus the fold's.
#pragma once

#include <cstdint>

#include "model/time.h"

namespace hearth::policy {

class MinuteCounts {
 public:
  // Folds every minute completed before the minute holding `now`.
  template <class Fold>
  void roll(model::Micros now, Fold&& fold) {
    const std::int64_t m = now / model::kMicrosPerMinute;
    if (minute_ < 0 || m <= minute_) return;
    fold(count_, std::int64_t{1});
    if (m - minute_ > 1) fold(std::uint32_t{0}, m - minute_ - 1);
    minute_ = m;
    count_ = 0;
  }
  // Counts an arrival at `now`, first folding the minutes it completes.
  template <class Fold>
  void add(model::Micros now, Fold&& fold) {
    roll(now, fold);
    if (minute_ < 0) minute_ = now / model::kMicrosPerMinute;
    ++count_;
  }
  bool started() const { return minute_ >= 0; }

 private:
  std::int64_t minute_ = -1;  // the minute being counted; -1 before the first arrival
  std::uint32_t count_ = 0;
};

}  // namespace hearth::policy
