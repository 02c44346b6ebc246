// Azure Functions 2021 per-invocation trace reader (`app,func,end_timestamp,duration`, seconds).
// start = end_timestamp − duration. Functions are the distinct (app, func) pairs, in first-seen order
// (a streaming pre-scan keeps only the function table and the longest duration). Invocations stream
// through a reorder buffer that emits an invocation once its start ≤ (latest end seen − longest duration
// in the file): exact for input sorted by end_timestamp, as the published trace is; a row that would
// start before invocations already emitted is rejected with its line. end_timestamp and duration must lie
// in [0, 1e10] s; every error is a TraceError "file:line: what".
// warm_us = the function's mean duration; exec_us = the row's own duration; memory = default_memory_mb;
// cold model kMaximum: cold_start_us = the function's max − mean duration.
#pragma once

#include <string>

#include "trace/trace_options.h"
#include "trace/workload.h"

namespace hearth::trace {

// `path` is the CSV file or a directory holding invocations.csv.
Workload load_azure2021(const std::string& path, const TraceOptions& options);

}  // namespace hearth::trace
