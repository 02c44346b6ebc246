// Code scaling (Scorpius, seed 000 §III-C, Eq. 8): when a function's resource usage reaches a threshold,
// its code is prepared on one more server before the demand for that server arrives.
// Units: usage and demand are counted in 1/units_per_code of a code (a code = one server's instance of the
// function; units_per_code 10 gives the paper's thresholds like 0.7 and 1.8 codes as 7 and 18 units).
// thresholds[b-1] (b = 1..B): with b codes prepared, code b+1 is prepared once usage >= thresholds[b-1].
// Usage above b codes (> b·units) needs code b+1 now: that is on-demand scaling, the ceiling of every
// threshold (b·units + 1). Beyond B codes, scaling is on-demand.
//   DemandStats     P_t(r|a): for each trigger category, from per-minute demand series, how often usage a
//                   at minute m is followed by demand r at m+t (t = 0..horizon minutes), "appeared frequency
//                   as possible probability". Usage and demand are capped at max_units.
//   learned_thresholds  Eq. 8: thresholds[b-1] = the least a in [(b-1)·units, b·units] with
//                   Π_{t=0..T0} Σ_{r<=b·units} P_t(r|a) < P0, else b·units + 1 (never before demand); a usage
//                   never observed, or never followed t minutes later, counts as sufficient at that t (no
//                   evidence that it grows).
//   on_demand_thresholds / fixed_thresholds  the baselines "Normal" and a constant threshold x.f (code b+1
//                   at (b-1+f) codes).
//   ThresholdArray  one function's array with the dynamic adjustment, "decrease all, increase finite": on
//                   late preparation of code b+1, every threshold from b on drops by one unit; on early
//                   preparation, the next `increase_count` (3) from b on rise by one unit; each stays within
//                   its range [(b-1)·units, b·units + 1].
// Pure and deterministic. Cost: DemandStats::add O(horizon) per minute of a series; learned_thresholds
// O(B·units·T0·B·units); ThresholdArray::on_late O(B), on_early O(increase_count), reading O(1).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "model/function_spec.h"

namespace hearth::policy {

class DemandStats {
 public:
  // Throws std::invalid_argument when max_units < 1 or horizon < 0.
  DemandStats(std::int32_t max_units, std::int32_t horizon_minutes);
  // One function's per-minute usage (units; values above max_units count as max_units; negative throws).
  void add_series(model::Trigger category, std::span<const std::int32_t> usage);
  // P_t(r|a) in `category`; 0 when a was never observed.
  double probability(model::Trigger category, std::int32_t t, std::int32_t r, std::int32_t a) const;
  // Observations of usage a followed by a demand t minutes later (t = 0: minutes with usage a).
  std::int64_t observations(model::Trigger category, std::int32_t t, std::int32_t a) const;
  std::int32_t max_units() const { return max_units_; }
  std::int32_t horizon() const { return horizon_; }
  // Bytes the statistics take (Fig. 12(a)).
  std::size_t footprint_bytes() const { return counts_.size() * sizeof(std::int64_t); }

 private:
  std::size_t index(model::Trigger c, std::int32_t t, std::int32_t a, std::int32_t r) const;
  std::int32_t max_units_;
  std::int32_t horizon_;
  std::vector<std::int64_t> counts_;  // [category][t][a][r]
};

struct ThresholdParams {
  std::int32_t units_per_code = 10;
  std::int32_t codes = 16;         // B: thresholds for codes 2..B+1
  std::int32_t prep_minutes = 1;   // T0 in the trace's minutes (>= 1)
  double p0 = 0.9;                 // P0
  std::int32_t increase_count = 3;
};

std::vector<std::int32_t> on_demand_thresholds(const ThresholdParams& p);
// fraction in [0, 1]: code b+1 at (b - 1 + fraction) codes of usage.
std::vector<std::int32_t> fixed_thresholds(const ThresholdParams& p, double fraction);
// Throws std::invalid_argument when prep_minutes exceeds the statistics' horizon.
std::vector<std::int32_t> learned_thresholds(const DemandStats& stats, model::Trigger category,
                                             const ThresholdParams& p);

class ThresholdArray {
 public:
  ThresholdArray(std::vector<std::int32_t> thresholds, const ThresholdParams& p);
  // Codes to hold at `usage` given `prepared` codes: prepared + 1 when usage reached the threshold of the
  // next code or exceeds what `prepared` codes hold, else prepared. O(1).
  std::int32_t codes_wanted(std::int32_t usage, std::int32_t prepared) const;
  void on_late(std::int32_t code);   // code (>= 2) was ready after it was needed
  void on_early(std::int32_t code);  // code (>= 2) was ready before it was needed
  std::span<const std::int32_t> values() const { return th_; }
  std::int32_t units() const { return units_; }

 private:
  std::int32_t low(std::size_t i) const { return static_cast<std::int32_t>(i) * units_; }
  std::int32_t high(std::size_t i) const { return static_cast<std::int32_t>(i + 1) * units_ + 1; }
  std::vector<std::int32_t> th_;
  std::int32_t units_;
  std::int32_t increase_count_;
};

enum class CodeScalingKind { kOnDemand, kFixed, kInitialization, kAdjustment, kScorpius };
CodeScalingKind parse_code_scaling(std::string_view name);  // ondemand|fixed|init|adjust|scorpius
const char* code_scaling_name(CodeScalingKind k);

// Replays one function's per-minute usage under a threshold array (Fig. 11): a code asked for at minute m
// is ready at m + prep_minutes; code b+1 is released after keep_minutes minutes in which usage never needed
// it. Every code's readiness is compared with the first minute it is needed: late by d minutes adds d²
// (latency, seconds²), early by d adds log(1 + d) (storage; seconds). With `adjust`, the array learns from
// each late and early.
struct ScalingOutcome {
  double latency = 0;  // Σ late²  (seconds²)
  double storage = 0;  // Σ log(1 + early seconds)
  std::int64_t late = 0, early = 0, exact = 0;
};
ScalingOutcome replay_scaling(std::span<const std::int32_t> usage, ThresholdArray& array, bool adjust,
                              std::int32_t prep_minutes, std::int32_t keep_minutes = 10);

}  // namespace hearth::policy
