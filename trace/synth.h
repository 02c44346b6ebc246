// Synthetic workloads calibrated to the published Azure Functions characteristics (Shahrad et al.,
// "Serverless in the Wild", USENIX ATC'20; numbers and how each is used: docs/traces.md).
// Per-function rates: a log-normal app base rate shifted per trigger (so the trigger mix by invocations
// follows the paper), timers on fixed periods from 1 s to 1 day, half the other functions slower than 10 a
// minute bursty (on/off), the rest Poisson; execution times correlated with the rate. synth_workload streams
// these arrivals modulated by the daily/weekly curve minute by minute (trace/synth_source.h: cost O(1) per
// invocation and per active function-minute, memory O(functions) plus a minute's arrivals).
// write_synth_azure2019 writes the same workload in the original per-day Azure 2019 layout, which
// load_azure2019 reads back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/function_spec.h"
#include "trace/workload.h"

namespace hearth::trace {

// Rate modulation of the non-timer functions (Poisson thinning), the product of
//   daily:   1 + daily_amplitude · sin(2π (minute-of-day / 1440 − 0.375))   (peak mid-afternoon)
//   weekly:  1 + weekly_amplitude · sin(2π (minute-of-week / 10080 − 0.375)) (the week starts at minute 0:
//            peak at 0.625 of the week (day 5), trough at 0.125 (day 1))
//   special: the factor of a special day (every minute of day D, 1-based) or 1.
// Timer-triggered functions keep their fixed periods. The defaults are the generator's original diurnal curve
// (peak-to-trough 2x), no weekly cycle, no special day.
struct SpecialDayFactor {
  std::int64_t day = 1;  // 1-based
  double factor = 1;     // > 0
};

struct SynthOptions {
  std::uint32_t functions = 1000;
  std::int64_t minutes = 120;
  std::uint64_t seed = 1;
  double daily_amplitude = 1.0 / 3.0;  // [0, 1)
  double weekly_amplitude = 0;         // [0, 1)
  std::vector<SpecialDayFactor> special_days;
};

// The modulation above at time t (>= 0), and its largest value over any t.
double synth_modulation(const SynthOptions& options, model::Micros t);
double synth_modulation_max(const SynthOptions& options);

// The generated function table with each function's mean rate (invocations per minute) and timer period.
struct SynthFunction {
  model::FunctionSpec spec;
  double rate_per_minute = 0;             // mean over time (before the diurnal/weekly modulation)
  model::Micros timer_period_us = 0;      // > 0 for timer-triggered functions (fixed period, no modulation)
  model::Micros timer_phase_us = 0;
  double on_fraction = 1;                 // < 1: bursty (on/off) arrivals, on this share of the time
};
std::vector<SynthFunction> synth_functions(const SynthOptions& options);

// Mean cycle (on + off) of a bursty function's interrupted Poisson process, in minutes (an assumption:
// docs/traces.md).
inline constexpr double kSynthBurstCycleMinutes = 60;

// The expected number of invocations of synth_workload(options) whose functions are `functions`
// (= synth_functions(options)): each non-timer function's mean rate times the modulation's integral over
// the span, plus every timer's fires.
double synth_expected_invocations(const SynthOptions& options, const std::vector<SynthFunction>& functions);

Workload synth_workload(const SynthOptions& options);
// Throws std::runtime_error naming the file on an I/O error.
void write_synth_azure2019(const SynthOptions& options, const std::string& out_dir);

}  // namespace hearth::trace
