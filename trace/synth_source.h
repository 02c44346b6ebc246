// The synthetic generator's arrival stream (trace/synth.h's model): every function's arrivals, minute by
// minute, in (time, function) order, batches of at most 16,384 invocations (or one minute's).
// Two paths, one process each as synth.h describes:
//   - steady Poisson functions (not timers, not bursty) at >= kSynthFastPerMinute on average: each minute a
//     Poisson count of mean rate × modulation(middle of the minute), placed uniformly in the minute
//     (O(1) per function-minute plus O(1) per invocation; the modulation is held for the minute: it moves
//     by at most 0.22 % of its value in a minute at the default daily amplitude);
//   - the others (timers, bursty on/off functions, functions slower than once a minute): exact
//     continuous-time arrivals (fixed periods; exponential gaps thinned by modulation(t) / peak), found in
//     a heap of next-arrival times, so a minute costs O(active functions) and silent ones cost nothing.
// A minute's arrivals are sorted by a two-pass radix sort on the µs offset (ties by function; a fast
// function may arrive twice in the same µs, as two uniform draws can coincide).
// Memory: O(functions) plus one minute's arrivals (8 bytes each: 0.7 M at 50,000 functions).
#pragma once

#include <memory>
#include <vector>

#include "trace/synth.h"
#include "trace/workload.h"

namespace hearth::trace {

inline constexpr double kSynthFastPerMinute = 1.0;

std::unique_ptr<InvocationSource> make_synth_source(std::vector<SynthFunction> functions, SynthOptions options);

}  // namespace hearth::trace
