// ReplayPlan: the invocations `hearth replay` sends to a live platform, read whole from a workload (after
// windowing and scaling), each at its trace time: per-minute counts are spread by the reader (--spread
// uniform: minute start + i·60 s/n, FaasCache's rule; poisson: a Poisson process given the count).
// Checks that the workload can be replayed: it is not empty, not longer than `max_invocations` (a replay
// runs in real time and keeps one record per invocation), and every function's memory is within the
// platform's action limits. Errors are std::invalid_argument naming the function or the count and the
// flag that fixes it. O(invocations) time and memory.
#pragma once

#include <cstddef>
#include <vector>

#include "model/invocation.h"
#include "trace/workload.h"

namespace hearth::trace {

struct ReplayLimits {
  std::size_t max_invocations = 200'000;
  model::MegaBytes min_memory_mb = 32;    // the platform's action memory bounds (live/api.h ApiConfig)
  model::MegaBytes max_memory_mb = 2048;
};

struct ReplayPlan {
  std::vector<model::Invocation> invocations;  // arrival order, arrival_us from the start of the replay
  model::Micros span_us = 0;                   // last arrival
  model::Micros max_exec_us = 0;               // the longest execution time of any invocation
  std::vector<model::Micros> function_max_exec_us;  // per function
  std::vector<bool> function_used;                  // per function: invoked at least once
  std::size_t used_functions = 0;                   // how many are
};

ReplayPlan plan_replay(Workload& workload, const ReplayLimits& limits);

}  // namespace hearth::trace
