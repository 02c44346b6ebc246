// Function model: turns a trace's per-function statistics into a FunctionSpec (warm time, cold-start
// time, stem-cell init time, memory, runtime) and samples per-invocation execution times.
// Conventions (docs/traces.md): warm = Average; cold start = Maximum − Average (a cold invocation runs
// for Maximum, as FaasCache does) or base + per-MB × memory; runtime assigned from a stable hash.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>

#include "model/function_spec.h"
#include "trace/trace_options.h"

namespace hearth::trace {

// Execution-time statistics in milliseconds, as in the Azure 2019 durations file.
struct DurationStats {
  double average_ms = 0;
  double maximum_ms = 0;
  // percentile_Average_{0,1,25,50,75,99,100}
  std::array<double, 7> percentiles_ms{};
};

inline constexpr std::array<double, 7> kDurationPercentiles = {0.0, 0.01, 0.25, 0.50, 0.75, 0.99, 1.0};

// Fills warm_us, cold_start_us, init_us and runtime of `spec` (memory_mb and name must be set).
void apply_function_model(const DurationStats& d, const TraceOptions& opts, model::FunctionSpec& spec);

// The runtime a function is assumed to use: the trace has none, so it is drawn from a stable FNV-1a hash
// of the name: 50 % nodejs, 40 % python, 10 % native.
model::RuntimeKind assumed_runtime(const std::string& name);

// Draws an execution time (µs) from the piecewise-linear inverse CDF through the percentile points.
model::Micros sample_exec_us(const DurationStats& d, std::mt19937_64& rng);

}  // namespace hearth::trace
