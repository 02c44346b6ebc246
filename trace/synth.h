// Synthetic workloads calibrated to the published Azure Functions characteristics (Shahrad et al.,
// "Serverless in the Wild", USENIX ATC'20; numbers and how each is used: docs/traces.md).
// synth_workload streams: per-function Poisson arrivals (timers: fixed periods) modulated by a diurnal
// curve, generated from a heap of next-arrival times — cost O(invocations · log functions), memory
// O(functions). write_synth_azure2019 writes the same workload in the original per-day Azure 2019
// layout, which load_azure2019 reads back.
#pragma once

#include <cstdint>
#include <string>

#include "model/function_spec.h"
#include "trace/workload.h"

namespace hearth::trace {

struct SynthOptions {
  std::uint32_t functions = 1000;
  std::int64_t minutes = 120;
  std::uint64_t seed = 1;
};

// The generated function table with each function's mean rate (invocations per minute) and timer period.
struct SynthFunction {
  model::FunctionSpec spec;
  double rate_per_minute = 0;
  std::int64_t timer_period_minutes = 0;  // > 0 for timer-triggered functions
  model::Micros timer_phase_us = 0;
};
std::vector<SynthFunction> synth_functions(const SynthOptions& options);

Workload synth_workload(const SynthOptions& options);
// Throws std::runtime_error naming the file on an I/O error.
void write_synth_azure2019(const SynthOptions& options, const std::string& out_dir);

}  // namespace hearth::trace
