// Workload scaling: shrinks a trace's functions so that a replay of it fits a small machine (`hearth
// replay` against `hearth up`), and gives `hearth sim` the very same shrunk workload to compare with.
//   time:   every execution time (each invocation's exec_us, a function's warm_us, cold_start_us and
//           init_us) is multiplied by time_scale, then an invocation's exec_us is capped at max_exec_us.
//           Arrival times are never touched: the trace's timing (and so keep-alive behaviour) is kept.
//   memory: memory_mb × memory_scale, rounded up, then clamped to [min_memory_mb, max_memory_mb].
// Identity with the defaults. O(functions) now plus O(1) per invocation as the stream is read.
#pragma once

#include "model/time.h"
#include "trace/workload.h"

namespace hearth::trace {

struct ScaleOptions {
  double time_scale = 1.0;            // > 0
  model::Micros max_exec_us = 0;      // 0: no cap
  double memory_scale = 1.0;          // > 0
  model::MegaBytes min_memory_mb = 0;  // 0: no floor (memory is at least 1 MB anyway)
  model::MegaBytes max_memory_mb = 0;  // 0: no cap; else >= min_memory_mb

  bool identity() const {
    return time_scale == 1.0 && max_exec_us == 0 && memory_scale == 1.0 && min_memory_mb == 0 && max_memory_mb == 0;
  }
};

// Throws std::invalid_argument naming the option when one is out of range.
void validate(const ScaleOptions& options);
// One execution time scaled and capped.
model::Micros scale_exec(model::Micros exec_us, const ScaleOptions& options);
// One memory size scaled, rounded up and clamped.
model::MegaBytes scale_memory(model::MegaBytes memory_mb, const ScaleOptions& options);
// Scales `workload` in place (its functions now, its invocations as they stream); appends the factors to
// its description. Validates first.
void scale_workload(Workload& workload, const ScaleOptions& options);

}  // namespace hearth::trace
