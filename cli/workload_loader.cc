#include "cli/workload_loader.h"

#include <CLI/CLI.hpp>
#include <stdexcept>

#include "trace/azure2019_reader.h"
#include "trace/azure2021_reader.h"
#include "trace/synth.h"

namespace hearth::cli {

void add_workload_flags(CLI::App& cmd, WorkloadFlags& f) {
  cmd.add_option("--trace", f.trace, "Trace directory (default: embedded synthetic workload)");
  cmd.add_option("--format", f.format, "Trace format")->check(CLI::IsMember({"azure2019", "azure2021"}));
  cmd.add_option("--spread", f.spread, "Spreading of per-minute counts (azure2019)")
      ->check(CLI::IsMember({"uniform", "poisson"}));
  cmd.add_option("--exec-model", f.exec_model, "Execution time: trace Average or sampled from percentiles")
      ->check(CLI::IsMember({"average", "sampled"}));
  cmd.add_option("--cold-model", f.cold_model, "Cold start: trace Maximum (FaasCache) or linear in memory")
      ->check(CLI::IsMember({"maximum", "linear"}));
  cmd.add_option("--cold-base-ms", f.cold_base_ms, "Linear cold-start model: fixed part (ms)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--cold-per-mb-ms", f.cold_per_mb_ms, "Linear cold-start model: per MB of memory (ms)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--stemcell-init-fraction", f.options.stemcell_init_fraction,
                 "Share of the cold start a stem-cell (generic prewarm) start still pays")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--minutes", f.options.minutes, "Replay at most this many minutes (0 = all)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--seed", f.options.seed, "Seed for every random choice (same seed, same results)");
  cmd.add_option("--synth-functions", f.synth_functions, "Functions in the synthetic default workload")
      ->check(CLI::Range(1u, 10'000'000u));
  cmd.add_option("--synth-minutes", f.synth_minutes, "Minutes of the synthetic default workload")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--window-minutes", f.window.minutes,
                 "Replay only this many minutes, starting at --window-start-min (0 = the whole trace)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--window-start-min", f.window.start_minute, "First minute of the window")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--rate", f.window.rate_per_s,
                 "Draw the window's invocations at random and re-time them to this steady rate (invocations/s) "
                 "after a slow-start ramp (Sophon's method); 0 keeps the window as it is")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--ramp", f.window.ramp_fraction, "Share of the window spent ramping up to --rate")
      ->check(CLI::Range(0.0, 1.0));
  cmd.add_option("--time-scale", f.scale.time_scale,
                 "Multiply every execution time (and the trace's cold-start costs) by this; arrivals unchanged")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--max-exec-ms", f.max_exec_ms, "Cap every execution time at this after --time-scale (0 = no cap)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--memory-scale", f.scale.memory_scale, "Multiply every function's memory by this (rounded up)")
      ->check(CLI::PositiveNumber);
  cmd.add_option("--min-memory-mb", f.scale.min_memory_mb, "Raise every function's memory to at least this (0 = no floor)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--max-memory-mb", f.scale.max_memory_mb, "Cap every function's memory at this (0 = no cap)")
      ->check(CLI::NonNegativeNumber);
}

namespace {

trace::Workload load_whole(const WorkloadFlags& f) {
  trace::TraceOptions opts = f.options;
  opts.spread = f.spread == "poisson" ? trace::Spread::kPoisson : trace::Spread::kUniform;
  opts.exec = f.exec_model == "sampled" ? trace::ExecModel::kSampled : trace::ExecModel::kAverage;
  opts.cold = f.cold_model == "linear" ? trace::ColdModel::kLinear : trace::ColdModel::kMaximum;
  opts.cold_base_us = static_cast<model::Micros>(f.cold_base_ms * model::kMicrosPerMilli);
  opts.cold_per_mb_us = static_cast<model::Micros>(f.cold_per_mb_ms * model::kMicrosPerMilli);
  if (f.trace.empty()) {
    trace::SynthOptions s;
    s.functions = f.synth_functions;
    s.minutes = opts.minutes > 0 ? std::min(opts.minutes, f.synth_minutes) : f.synth_minutes;
    s.seed = opts.seed;
    return trace::synth_workload(s);
  }
  if (f.format == "azure2021") return trace::load_azure2021(f.trace, opts);
  if (f.format == "azure2019") return trace::load_azure2019(f.trace, opts);
  throw std::invalid_argument("unknown trace format '" + f.format + "' (azure2019, azure2021)");
}

}  // namespace

trace::Workload load_workload(const WorkloadFlags& f) {
  if (f.window.minutes == 0 && f.window.rate_per_s > 0)
    throw std::invalid_argument("--rate re-times a window: give --window-minutes too (Sophon's method uses 10)");
  trace::Workload workload = load_whole(f);
  if (f.window.minutes > 0) {
    trace::WindowOptions w = f.window;
    w.spread = f.spread == "poisson" ? trace::Spread::kPoisson : trace::Spread::kUniform;
    w.seed = f.options.seed;
    trace::sample_window(workload, w);
  }
  trace::ScaleOptions scale = f.scale;
  scale.max_exec_us = static_cast<model::Micros>(f.max_exec_ms * model::kMicrosPerMilli);
  trace::scale_workload(workload, scale);
  return workload;
}

}  // namespace hearth::cli
