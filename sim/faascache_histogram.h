// FaasCacheHistogram: the per-function state of FaasCache's HIST keep-alive policy
// (aFuerst/faascache-sim, code/split/LambdaScheduler.py: track_activation, _find_precentile,
// well_update/well_finalize), reproduced value for value:
//  - first invocation of a function: keep-alive 2 h, no prewarm;
//  - later ones: the idle time since the previous invocation, in whole minutes, goes into a 240-bucket
//    (4 h) histogram unless it is >= 240 min (then nothing changes). With at least two samples and a
//    population variance/mean <= 2 (or mean 0), keep-alive = tail·60 s·1.1 and prewarm = head·60 s·0.9,
//    where head is the bucket before the first whose CDF exceeds 5 % and tail the bucket after the
//    first whose CDF exceeds 99 % (240 when none); otherwise keep-alive 2 h and no prewarm.
// Keep-alive and prewarm are float milliseconds, as FaasCache computes them (comparisons with them are
// made in float ms by the engine). The CDF is computed like numpy's cumsum(data / data.sum()).
// Memory: 240 counters per function seen. Cost: O(240) per invocation.
#pragma once

#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "model/function_spec.h"
#include "model/time.h"

namespace hearth::sim {

class FaasCacheHistogram {
 public:
  static constexpr int kBuckets = 4 * 60;
  static constexpr double kDefaultTtlMs = 2.0 * 60 * 60 * 1000;

  explicit FaasCacheHistogram(std::size_t functions);

  // An invocation of `fn` at `now_ms` (FaasCache's track_activation; its wall_time, float ms).
  void observe(model::FunctionId fn, double now_ms);

  bool seen(model::FunctionId fn) const { return state_[fn].rank != kUnseen; }
  double last_seen_ms(model::FunctionId fn) const { return state_[fn].last_seen_ms; }
  double ttl_ms(model::FunctionId fn) const { return state_[fn].ttl_ms; }
  double prewarm_ms(model::FunctionId fn) const { return state_[fn].prewarm_ms; }
  // Functions whose prewarm is non-zero, in the order they were first seen (FaasCache iterates its
  // histPrewarm dict, which keeps first-insertion order).
  void prewarming(std::vector<model::FunctionId>& out) const;

 private:
  static constexpr std::uint32_t kUnseen = UINT32_MAX;
  struct State {
    std::uint32_t rank = kUnseen;  // order of first sight
    double last_seen_ms = 0;
    double ttl_ms = kDefaultTtlMs;
    double prewarm_ms = 0;
    std::uint64_t count = 0;  // Welford aggregate of idle minutes
    double mean = 0;
    double m2 = 0;
    std::vector<std::uint32_t> buckets;  // kBuckets counters once seen
  };
  void set_prewarm(model::FunctionId fn, double prewarm_ms);

  std::vector<State> state_;
  std::uint32_t next_rank_ = 0;
  std::set<std::pair<std::uint32_t, model::FunctionId>> prewarming_;  // (rank, fn) with prewarm != 0
};

}  // namespace hearth::sim
