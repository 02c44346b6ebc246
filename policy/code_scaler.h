// CodeScaler: Scorpius's code scaling (seed 000 §III-C, Eq. 8) online, for an engine that runs it live
// (the live invoker, `hearth up --code-scaling`; docs/scorpius.md "Code scaling, live"). Per function a
// ThresholdArray (policy/code_scaling.h); the engine tells it, whenever an invocation of a function starts,
// how many of the function's invocations are in flight and how many codes (containers: running, idle or
// being prepared) it holds, and prepares one more code in the background when asked. Usage counts in
// units of 1/units_per_code of a code: an invocation in flight occupies one code (units_per_code units).
// Modes:
//   fixed:F    fixed_thresholds(F) (code b+1 once usage reaches b-1+F codes), no adjustment;
//   scorpius   starts from the on-demand thresholds — what Eq. 8 learns from the Azure traces' per-minute
//              demand in most categories (docs/scorpius.md) — and adjusts: a code started on demand while
//              the function held others was late (every threshold from it on −1); a prepared code first
//              used more than `exact_window_us` after it was ready, or never used, was early (the next
//              `increase_count` +1).
// Without a CodeScaler (`none`) codes start on demand only. Pure and deterministic; not thread-safe.
// Cost: every call O(1) amortised (one map lookup), on_late O(codes), on_early O(increase_count).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "model/function_spec.h"
#include "model/time.h"
#include "policy/code_scaling.h"

namespace hearth::policy {

enum class LiveCodeScaling { kNone, kFixed, kScorpius };

struct CodeScalerConfig {
  LiveCodeScaling mode = LiveCodeScaling::kNone;
  double fixed_fraction = 0.7;  // fixed:F
  ThresholdParams thresholds;
  model::Micros exact_window_us = model::kMicrosPerSecond;  // a prepared code used within it was on time
};
// "none", "fixed", "fixed:F" (F in [0, 1]), "scorpius"; throws std::invalid_argument naming the spec.
CodeScalerConfig parse_code_scaler(std::string_view spec);
std::string code_scaler_name(const CodeScalerConfig& config);

struct CodeScalerStats {
  std::uint64_t prepared = 0, late = 0, early = 0, exact = 0;
};

class CodeScaler {
 public:
  explicit CodeScaler(CodeScalerConfig config);  // throws std::invalid_argument for mode kNone

  // An invocation of `fn` starts: `in_flight` invocations of it run now (this one included) and it holds
  // `held` codes (running, idle and being prepared; this one's included). `on_demand`: this one's code was
  // started for it now (a cold start) while the function held held - 1 others: that code was late
  // (scorpius adjusts). Returns the codes to prepare now (0 or 1).
  int on_start(model::FunctionId fn, std::int32_t in_flight, std::int32_t held, bool on_demand);
  // The prepared code number `code` (the function's code count once it was asked for) of `fn`, ready at
  // `ready_us`, was first used at `now` (early beyond exact_window_us), or destroyed unused (`now` < 0).
  void on_prepared_used(model::FunctionId fn, std::int32_t code, model::Micros ready_us, model::Micros now);
  void on_prepared_unused(model::FunctionId fn, std::int32_t code);

  const CodeScalerStats& stats() const { return stats_; }
  // The function's thresholds now (the initial ones before it was seen).
  std::vector<std::int32_t> thresholds(model::FunctionId fn);
  const CodeScalerConfig& config() const { return config_; }

 private:
  ThresholdArray& array(model::FunctionId fn);
  CodeScalerConfig config_;
  std::vector<std::int32_t> initial_;
  std::unordered_map<model::FunctionId, ThresholdArray> arrays_;
  CodeScalerStats stats_;
};

}  // namespace hearth::policy
