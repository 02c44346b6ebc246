// Burst workloads: steps and spikes of extra invocations overlaid on a background workload (a trace or
// the synthetic default), for autoscaling experiments (docs/autoscaling.md).
//
// Spec syntax: items separated by ';', each KIND:key=value,...
//   spike:fn=F,at=120s,rate=200/s,for=10s     200 extra invocations per second of F for 10 s from 120 s
//   step:fn=F,at=5m,rate=50/s                 50 per second of F from 5 minutes to the end of the trace
//   keys: fn   a function name of the workload, or its numeric id (0..n-1) when no function has that name
//         at   start (duration: us, ms, s, m, h; a bare number is seconds)
//         rate invocations per second: N, N/s, N/m (per minute) or N/h
//         for  how long (spike: required; step: optional, default until the background's span ends)
// Extra invocations arrive evenly spaced (t = at + k / rate) and run for the function's warm time.
// Malformed specs throw std::invalid_argument naming the item (1-based) and what is wrong.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/time.h"
#include "trace/workload.h"

namespace hearth::trace {

struct Burst {
  enum class Kind { kSpike, kStep } kind = Kind::kSpike;
  std::string function;  // name or numeric id, resolved against the workload
  model::Micros at_us = 0;
  double rate_per_second = 0;
  model::Micros duration_us = 0;  // 0 for a step: until the background's span ends
};

std::vector<Burst> parse_bursts(std::string_view spec);

// The functions the bursts name, resolved against `workload` (throws std::invalid_argument for an
// unknown one), in spec order.
std::vector<model::FunctionId> burst_functions(const Workload& workload, const std::vector<Burst>& bursts);

// `background` with the bursts merged in: arrivals stay nondecreasing, ids are renumbered
// consecutively from 0, batches are the background's (plus one minute of bursts at a time after it
// ends). Throws std::invalid_argument for an unknown function, or a step without `for` over a
// background of unknown span. Memory: one background batch plus the bursts' arrivals up to its end.
Workload with_bursts(Workload background, const std::vector<Burst>& bursts);

// [first burst start, last burst end) of bursts over `workload` (a step without `for` ends at its span).
struct BurstWindow {
  model::Micros start_us = 0, end_us = 0;
};
BurstWindow burst_window(const Workload& workload, const std::vector<Burst>& bursts);

}  // namespace hearth::trace
