#include "trace/replay_plan.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace hearth::trace {

ReplayPlan plan_replay(Workload& workload, const ReplayLimits& limits) {
  ReplayPlan plan;
  plan.function_max_exec_us.assign(workload.functions.size(), 0);
  std::vector<bool>& used = plan.function_used;
  used.assign(workload.functions.size(), false);
  std::vector<model::Invocation> batch;
  while (workload.invocations->next_batch(batch)) {
    for (const model::Invocation& inv : batch) {
      if (plan.invocations.size() >= limits.max_invocations)
        throw std::invalid_argument("the workload holds more than " + std::to_string(limits.max_invocations) +
                                    " invocations (a replay runs in real time): narrow it with --window-minutes, "
                                    "--minutes or --rate, or raise --max-invocations");
      if (inv.function >= workload.functions.size())
        throw std::invalid_argument("invocation " + std::to_string(inv.id) + " names function " +
                                    std::to_string(inv.function) + " of " + std::to_string(workload.functions.size()));
      plan.invocations.push_back(inv);
      plan.max_exec_us = std::max(plan.max_exec_us, inv.exec_us);
      plan.function_max_exec_us[inv.function] = std::max(plan.function_max_exec_us[inv.function], inv.exec_us);
      if (!used[inv.function]) {
        used[inv.function] = true;
        ++plan.used_functions;
        const model::FunctionSpec& f = workload.functions[inv.function];
        if (f.memory_mb < limits.min_memory_mb || f.memory_mb > limits.max_memory_mb)
          throw std::invalid_argument("function '" + f.name + "' needs " + std::to_string(f.memory_mb) +
                                      " MB, outside the platform's action limits [" + std::to_string(limits.min_memory_mb) +
                                      ", " + std::to_string(limits.max_memory_mb) + "] MB: scale it with --memory-scale, "
                                      "--min-memory-mb and --max-memory-mb (and give hearth sim the same flags)");
      }
    }
  }
  if (plan.invocations.empty()) throw std::invalid_argument("the workload holds no invocations: nothing to replay");
  plan.span_us = plan.invocations.back().arrival_us;
  return plan;
}

}  // namespace hearth::trace
