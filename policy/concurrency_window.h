// ConcurrencyWindows: per function, the mean concurrency of each of the last `ticks` scaling ticks,
// the sliding windows an autoscaler averages over (Knative's stable and panic windows). A tick in
// which a function was not reported counts as zero. Cost: record O(1) amortised (zero-fills skipped
// ticks, at most `ticks`); mean/max O(last). Memory O(functions seen x ticks).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/function_spec.h"
#include "policy/scaling.h"

namespace hearth::policy {

class ConcurrencyWindows {
 public:
  explicit ConcurrencyWindows(std::size_t ticks) : ticks_(ticks < 1 ? 1 : ticks) {}

  // The mean concurrency of `fn` over tick number `tick` (ticks are numbered 0, 1, … and recorded in
  // increasing order per function).
  void record(model::FunctionId fn, std::int64_t tick, double mean);
  // Records every load's mean concurrency for the tick at `now` (ticks of `tick_us`); returns its number.
  std::int64_t record(std::span<const TickLoad> loads, model::Micros now, model::Micros tick_us);
  // Mean and maximum over the `last` ticks ending at `tick` (at most the window's length).
  double mean(model::FunctionId fn, std::int64_t tick, std::size_t last) const;
  double max(model::FunctionId fn, std::int64_t tick, std::size_t last) const;
  std::size_t ticks() const { return ticks_; }

 private:
  struct Ring {
    std::vector<double> values;
    std::int64_t last_tick = -1;  // newest tick recorded
  };
  double at(const Ring& r, std::int64_t tick) const;
  template <typename F>
  void visit(model::FunctionId fn, std::int64_t tick, std::size_t last, F&& f) const;

  std::size_t ticks_;
  std::vector<Ring> rings_;  // by function id, grown on demand
};

}  // namespace hearth::policy
