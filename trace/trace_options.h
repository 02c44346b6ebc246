// Options shared by the trace readers: how per-minute counts are spread, how execution and cold-start
// times are modelled, and how much of the trace to read.
#pragma once

#include <cstdint>
#include <string>

#include "model/time.h"

namespace hearth::trace {

enum class Spread { kUniform, kPoisson };
enum class ExecModel { kAverage, kSampled };  // Azure `Average`, or sampled from the percentile columns

// Cold-start model. kMaximum: a cold invocation runs for the trace's `Maximum` (FaasCache), i.e.
// cold_start_us = Maximum - Average (>= 0). kLinear: cold_start_us = base + per_mb * memory_mb.
enum class ColdModel { kMaximum, kLinear };

struct TraceOptions {
  Spread spread = Spread::kUniform;
  ExecModel exec = ExecModel::kAverage;
  ColdModel cold = ColdModel::kMaximum;
  model::Micros cold_base_us = model::millis(250);  // kLinear
  model::Micros cold_per_mb_us = 500;               // kLinear: 0.5 ms per MB
  double stemcell_init_fraction = 0.4;  // share of the cold start a stem-cell (generic prewarm) start pays
  std::int64_t minutes = 0;             // read at most this many minutes (0 = all)
  std::uint64_t seed = 1;
  model::MegaBytes default_memory_mb = 256;  // for traces without memory (Azure 2021)
  // Azure 2019: the most invocations one minute of the trace may hold (its batch is built whole: about
  // 32 bytes each, so 1 GiB at the default); a minute above it is a TraceError naming the cell.
  std::int64_t max_minute_invocations = std::int64_t{1} << 25;
  // Build the workload as FaasCache's trace converter does (`--semantics faascache`): memory =
  // ceil(AverageAllocatedMb) instead of rounded, Average and Maximum truncated to whole ms (its int()),
  // and, with the uniform spread, each invocation's arrival also as FaasCache's float milliseconds
  // (InvocationSource::faascache_arrival_ms), simultaneous arrivals ordered by that float.
  bool faascache = false;
};

}  // namespace hearth::trace
