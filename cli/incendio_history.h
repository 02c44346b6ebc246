// Incendio's history for the priority analyses (`hearth incendio spearman`, `fit-priority`): per function
// of a trace, Table I's factors from the trace's statistics and the latency it got in a simulated run of a
// baseline (default preset ttl: LRU with a 10-minute keep-alive, the paper's Native).
//   factors   CPU = memory / 512 MB (the allocation as the Function Info Table seeds it), Mem = memory,
//             I/O = 0 and Size = 0 (no trace has them), Init = the trace's cold start, Exec = mean
//             execution time, Term = 0 (the simulator destroys containers instantly), Freq = invocations
//             per minute over the minutes the arrivals span from time 0, Clock = mean time between
//             consecutive arrivals (minutes)
//   latency   mean over the function's started invocations of wait + start-up + run in the simulated run,
//             recovered from the simulator's per-function slowdown (exact when every invocation of a
//             function runs its mean execution time, as --exec-model average makes it)
//   benefit   (latency − Exec) · Freq: seconds of latency beyond execution the function accrues per minute
//             under the baseline, i.e. what keeping it warm and running it first could save
// Functions with fewer than --min-invocations arrivals (the paper drops applications with fewer than 5) or
// none started are left out.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/workload_loader.h"
#include "policy/priority_model.h"

namespace CLI {
class App;
}

namespace hearth::cli {

struct HistoryFlags {
  WorkloadFlags workload;
  std::string preset = "ttl";
  // The cluster `hearth sim` simulates by default.
  std::uint32_t nodes = 8;
  model::MegaBytes node_memory_mb = 16384;
  std::int32_t node_cores = 64;
  std::uint64_t min_invocations = 5;
};

void add_history_flags(CLI::App& cmd, HistoryFlags& flags);

struct FunctionHistory {
  model::FunctionId id = 0;
  policy::FunctionInfo row;
  policy::FactorVector factors{};
  std::uint64_t invocations = 0;
  double latency_s = 0;
  double cold_ratio = 0;
  double benefit = 0;
};

struct History {
  std::string description;  // the workload's
  std::string preset;
  double minutes = 0;       // the trace span the frequencies are over
  std::vector<FunctionHistory> functions;
};

// Throws std::invalid_argument for bad flags (unknown preset) and trace::TraceError for a malformed trace.
History collect_history(const HistoryFlags& flags);

}  // namespace hearth::cli
