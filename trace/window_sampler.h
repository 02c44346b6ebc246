// Window sampling: the workload method of Sophon's evaluation (Chapter 4 of seed 001, Sections 4.2 and 4.6):
// take `minutes` continuous minutes of a trace, draw invocations from them at random (by invocation, not
// by function, so the mix of popular and rare functions is kept), and re-time the draws to a rate profile:
// a slow-start ramp from 0 up to `rate_per_s` over the first `ramp_fraction` of the window (which builds up
// warm containers), then a steady `rate_per_s`. The draws keep the window's arrival order.
//
// Count: over a window of D seconds the profile offers N = rate · D · (1 − ramp_fraction / 2) invocations.
// N ≤ W (the window's invocations): N distinct draws. N > W: every invocation ⌊N/W⌋ times plus N mod W
// distinct ones (a balanced draw with replacement; the description says so).
// Times: the k-th draw (k = 0..N−1) arrives at Λ⁻¹((k + ½)·A/N), Λ(t) = ∫₀ᵗ rate(s) ds, A = Λ(D) (uniform
// spread), or at N points of a Poisson process of that intensity given its count (poisson spread).
// Memory: the window's invocations and the N draws are buffered (one Invocation each; N < 2^32); the source
// is read only up to the window's end. Deterministic given the seed.
#pragma once

#include <cstdint>

#include "trace/trace_options.h"
#include "trace/workload.h"

namespace hearth::trace {

struct WindowOptions {
  std::int64_t start_minute = 0;  // first minute of the window, from the start of the trace
  std::int64_t minutes = 10;
  double rate_per_s = 0;       // steady rate after the ramp; 0 keeps the window as it is (no draw, no re-timing)
  double ramp_fraction = 0.5;  // share of the window spent ramping up, in [0, 1]
  Spread spread = Spread::kUniform;
  std::uint64_t seed = 1;
};

// Replaces `workload.invocations` with the window's sampled and re-timed invocations, arrivals from 0.
// Throws std::invalid_argument for bad options or a window holding no invocations (naming the window and
// the trace's length), and lets TraceError through from the underlying reader.
void sample_window(Workload& workload, const WindowOptions& options);

}  // namespace hearth::trace
