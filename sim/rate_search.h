// Max sustained rate: the highest steady invocation rate a cluster configuration keeps up with, found by
// bisection over simulations of the same window at different rates (Sophon's "maximum throughput",
// measured as a search rather than read off one overloaded ramp).
// "Keeps up": by the end of the window, at least `keep_up` of the window's invocations have started
// (none dropped). Past its capacity a cluster's backlog grows for the whole steady phase, so the share
// started by the end falls by about (rate − capacity) / (1.5 · rate) for the default half-window ramp.
// Assumes keeping up is monotone in the rate (it is in expectation; a noisy configuration can make the
// bisection land anywhere in the band where it flips). Cost: O(log((high − low) / (precision · low)))
// simulations.
#pragma once

#include <functional>

#include "model/time.h"
#include "sim/engine.h"

namespace hearth::sim {

struct RateSearch {
  double low = 1;           // invocations/s; assumed to be kept up with (checked)
  double high = 1000;       // invocations/s; the answer is at most this
  double precision = 0.01;  // stop when (upper − lower) ≤ precision · lower
  double keep_up = 0.99;
};

struct RateSearchResult {
  double rate = 0;        // highest rate found to keep up (0 if not even `low`)
  bool capped = false;    // `high` itself keeps up: the capacity is at least `high`
  int simulations = 0;
  SimResult at_rate;      // the run at `rate` (or at `low` when rate is 0)
};

// Whether `result`, a run of a window of `window_us`, kept up (see above).
bool keeps_up(const SimResult& result, model::Micros window_us, double keep_up);

// `simulate(rate)` runs the window at `rate` invocations/s. Throws std::invalid_argument for a bad range.
RateSearchResult find_max_sustained_rate(const std::function<SimResult(double)>& simulate, model::Micros window_us,
                                         const RateSearch& search);

}  // namespace hearth::sim
