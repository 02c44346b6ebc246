// Workload flags shared by the commands that read traces: --trace/--format or, with no --trace, the
// embedded default (a synthetic Azure-calibrated workload).
#pragma once

#include <cstdint>
#include <string>

#include "trace/trace_options.h"
#include "trace/window_sampler.h"
#include "trace/workload_scaling.h"
#include "trace/workload.h"

namespace CLI {
class App;
}

namespace hearth::cli {

struct WorkloadFlags {
  std::string trace;                 // directory (or file for azure2021); empty = synthetic default
  std::string format = "azure2019";  // azure2019 | azure2021
  std::string spread = "uniform";
  std::string exec_model = "average";
  std::string cold_model = "maximum";
  trace::TraceOptions options;
  double cold_base_ms = 250;    // --cold-model linear
  double cold_per_mb_ms = 0.5;  // --cold-model linear
  std::uint32_t synth_functions = 2000;
  std::int64_t synth_minutes = 240;
  // Sophon's workload method (trace/window_sampler.h): on when window.minutes > 0.
  trace::WindowOptions window{.start_minute = 0, .minutes = 0};
  // Shrinks execution times and memory (trace/workload_scaling.h), after the window; identity by default.
  trace::ScaleOptions scale;
  double max_exec_ms = 0;  // --max-exec-ms, into scale.max_exec_us
};

void add_workload_flags(CLI::App& cmd, WorkloadFlags& flags);
// Throws std::invalid_argument for bad flag values and trace::TraceError for malformed traces.
trace::Workload load_workload(const WorkloadFlags& flags);

}  // namespace hearth::cli
