// AdaptiveSpin: how long a reader may poll its descriptor without blocking before it sleeps, learned from
// how long its recent waits took. A thread that sleeps in read/poll must be woken when its bytes arrive;
// on a virtual machine that wake-up (an inter-processor interrupt to a halted virtual CPU, a context
// switch) costs tens of µs on the critical path, while a thread still polling sees the bytes at once
// (docs/warm-path.md). Spinning only pays where the expected wait is short (the invoker waiting for its
// runtime's answer; the controller's wire reader waiting for the result of an invoke it just saw sent),
// and a miss burns the whole budget of a CPU the peer may need, so:
// - the budget is twice the recent typical wait (an exponentially weighted mean, weight 1/8, of every
//   wait, spun or slept, measured from its start to the arrival of its bytes), at least 5 µs and at most
//   `max_us` (the first wait, with nothing observed yet, may take all of `max_us`);
// - when that typical wait is longer than `max_us`, the budget is 0: the reader blocks at once, and
//   goes on measuring, so it starts spinning again when waits become short;
// - between polls the thread yields its core; a yield that took longer than `contended_yield_us` (20 µs)
//   ran another thread, so the core is contended: the reader then stops spinning and sleeps (a spinning
//   thread waits behind others' time slices, a sleeping one is woken ahead of them).
// Not thread-safe: one per reader (a reader is used by one thread at a time). Cost: two clock reads per
// wait, plus the polls while spinning.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace hearth::net {

class AdaptiveSpin {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::int64_t kMinBudgetUs = 5;
  static constexpr std::int64_t kContendedYieldUs = 20;
  explicit AdaptiveSpin(std::int64_t max_us = 0, std::int64_t contended_yield_us = kContendedYieldUs)
      : max_us_(std::max<std::int64_t>(0, max_us)), contended_yield_us_(contended_yield_us) {}

  // How long the next wait may poll before it blocks (µs; 0: block at once).
  std::int64_t budget_us() const {
    if (max_us_ == 0 || mean_us_ > max_us_) return 0;
    if (mean_us_ < 0) return max_us_;  // nothing observed yet: the first wait measures
    return std::min(max_us_, std::max<std::int64_t>(2 * mean_us_, kMinBudgetUs));
  }
  // A wait took `waited_us` from its start until its bytes were there (whether it spun or slept).
  void observe(std::int64_t waited_us) {
    waited_us = std::clamp<std::int64_t>(waited_us, 0, 1'000'000);
    mean_us_ = mean_us_ < 0 ? waited_us : (7 * mean_us_ + waited_us) / 8;
  }
  std::int64_t max_us() const { return max_us_; }
  std::int64_t contended_yield_us() const { return contended_yield_us_; }  // 0: spin the budget whatever the load
  std::int64_t mean_us() const { return mean_us_; }

 private:
  std::int64_t max_us_;
  std::int64_t contended_yield_us_;
  std::int64_t mean_us_ = -1;  // none observed yet
};

}  // namespace hearth::net
