// Azure Functions 2019 (AzurePublicDatasetV2) reader. Accepts a directory holding either
//   invocations.csv + durations.csv + memory.csv            (the shared sample layout), or
//   invocations_per_function_md.anon.dNN.csv + function_durations_percentiles.anon.dNN.csv +
//   app_memory_percentiles.anon.dNN.csv, NN = 01..14        (the original per-day layout).
// Memory files may be per function (HashFunction,HashOwner,HashApp,...) or per app (HashOwner,HashApp,...;
// split evenly over the app's functions). Functions without a durations or memory row are skipped, as
// FaasCache does. Invocation files stream one minute at a time; per-minute counts are stored sparsely,
// one day file at a time, so memory is proportional to functions × minutes-per-file nonzero cells.
// With TraceOptions::faascache (`--semantics faascache`) the workload is the one FaasCache's converter
// builds: memory ceil(AverageAllocatedMb), whole-ms Average/Maximum, and with the uniform spread each
// invocation's float-ms time (InvocationSource::faascache_arrival_ms), simultaneous arrivals in its order.
// Errors: TraceError "file:line: what", also for values out of bounds (durations [0, 1e13] ms, memory
// [0, 1e9] MB, a minute above TraceOptions::max_minute_invocations invocations, found while streaming).
#pragma once

#include <string>

#include "trace/trace_options.h"
#include "trace/workload.h"

namespace hearth::trace {

Workload load_azure2019(const std::string& dir, const TraceOptions& options);

}  // namespace hearth::trace
