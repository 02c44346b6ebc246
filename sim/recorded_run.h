// RecordedRun: the invocations a live replay recorded (model/recorded_invocation.h) turned into the
// simulator's SimResult, so that sim/report prints the same table, JSON and CSV files as `hearth sim`
// and the two can be compared line by line; and the live platform's costs measured from the records,
// to give the simulator (docs/calibration.md).
//
// Mapping: an invocation arrives when it was sent; its latency is the client's (request to response);
// startup = the record's init time, execution = the record's run time, wait = the rest (HTTP, controller,
// wire, invoker queue), so arrival + wait + startup + execution = the response's arrival. The start kind
// is the record's. Invocations the replayer could not send (in-flight bound full) count as dropped
// (queue_full); invocations that got no activation record (HTTP or connection error) as dropped
// (no_node). Memory figures (idle/total GB·s, peak) are not observed from outside the platform: 0.
// O(records).
#pragma once

#include <cstdint>
#include <vector>

#include "model/recorded_invocation.h"
#include "sim/engine.h"

namespace hearth::sim {

struct RecordedRunInput {
  std::vector<model::RecordedInvocation> records;  // invocations with an activation record
  std::vector<model::FunctionId> unsent;           // could not be sent (the in-flight bound was full)
  std::vector<model::FunctionId> failed;           // sent, but no activation record came back
  std::size_t functions = 0;                       // size of the workload's function table
  double wall_seconds = 0;                         // the replay's duration
};

SimResult recorded_result(const RecordedRunInput& input);

// The live platform's costs, as the simulator's FunctionSpec models them (sim: a cold start adds
// cold_start_us before execution; a warm start adds nothing).
struct MeasuredCosts {
  std::size_t cold_samples = 0, warm_samples = 0;
  // Cold start ≈ base + per_mb · memory: least squares of the cold records' init time against their
  // function's memory (per_mb = 0 when every cold record has the same memory or the fit is negative).
  double cold_base_ms = 0, cold_per_mb_ms = 0;
  double cold_init_p50_ms = 0, cold_init_mean_ms = 0;
  // What the simulator does not model: the client latency of a warm start beyond the platform's wait
  // and run times (HTTP, controller, wire); its median.
  double warm_overhead_p50_ms = 0;
  // Send lag (sent − scheduled) over all records: how closely the replayer kept the trace's timing.
  double send_lag_p50_ms = 0, send_lag_p99_ms = 0, send_lag_max_ms = 0;
  // The record's run time over the execution time asked for (invocations asking >= 1 ms): how closely
  // the function body kept its duration.
  double run_over_exec_p50 = 0, run_over_exec_p99 = 0;
};

// `memory_mb[f]`: function f's memory (its action's limit).
MeasuredCosts measure_costs(const std::vector<model::RecordedInvocation>& records,
                            const std::vector<model::MegaBytes>& memory_mb);

}  // namespace hearth::sim
