// FunctionInfoTable: Incendio's Function Info Table (Fig. 7, Table I of seed 002): per function, what its
// priority and the pool manager need, kept current from completed activations by whichever engine runs
// the policy (the simulator from its modelled runs, the live platform from activation records and the
// container's cgroup).
//   CPU, Mem, I/O   the container's allocation (cores, MB, block-I/O weight share in [0, 1]); the live
//                   platform overwrites them with what cgroups measured (on_resources)
//   Size            mean input size of the function's requests, bytes (0 where a trace has none)
//   Init            mean start-up a cold start paid (invoke → start); seeded with the spec's cold_start_us
//   Exec            mean execution time (start → end); seeded with the spec's warm_us
//   Term            mean time to destroy one of its containers (termination command → success)
//   Freq            invocations per minute over a sliding window: the arrivals in the minute holding `now`
//                   and the kFreqWindowMinutes − 1 minutes before it, divided by kFreqWindowMinutes (so a
//                   function starts at 0 and ramps up over its first 10 minutes; the current minute counts
//                   as far as it has gone)
//   Clock           time since the function's last arrival (kNever before the first one)
// Means (Size, Init, Exec, Term, and CPU/Mem/I/O once measured) are running means of the measurements;
// the first measurement replaces the seed (the seed is a prior with no weight). Init averages cold starts
// only (a prewarmed or warm start pays no init); Exec averages every completion.
// A function id that was never added gets a row with zero seeds on first use.
// Deterministic; no I/O, no clock (every call is given `now`). Cost: O(1) per call (row: O(window)).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/function_spec.h"
#include "model/invocation.h"
#include "model/time.h"

namespace hearth::policy {

struct FunctionInfo {
  double cpu_cores = 0;
  model::MegaBytes memory_mb = 0;
  double io_share = 0;
  double input_bytes = 0;
  model::Micros init_us = 0;
  model::Micros exec_us = 0;
  model::Micros term_us = 0;
  double freq_per_min = 0;
  model::Micros since_last_arrival_us = model::kNever;  // kNever: never arrived
};

class FunctionInfoTable {
 public:
  static constexpr int kFreqWindowMinutes = 10;

  // A function not seen before: a row seeded from its spec (memory, cold start, warm time; its CPU limit,
  // or without one a core per 512 MB as §IV normalises, until measured). Seeing one again keeps its row.
  void on_function_added(const model::FunctionSpec& fn);
  void on_arrival(model::FunctionId fn, model::Micros now, double input_bytes = 0);
  // An activation of `fn` completed: its start kind, its start-up (cold: init) and its execution time.
  void on_completed(model::FunctionId fn, model::StartKind kind, model::Micros startup_us, model::Micros exec_us,
                    model::Micros now);
  // One of its containers was destroyed and that took `term_us`.
  void on_terminated(model::FunctionId fn, model::Micros term_us);
  // The live platform's measurement of one activation's resource use (cgroup cpu.stat / memory.peak / io).
  void on_resources(model::FunctionId fn, double cpu_cores, model::MegaBytes memory_mb, double io_share);
  // A hint, no effect: start loading what on_arrival of `fn` will touch (one cache line).
  void prefetch_arrival(model::FunctionId fn) const {
    if (fn < rows_.size()) __builtin_prefetch(&rows_[fn]);
  }
  // The row as of `now` (Freq over the window ending at now, Clock = now − last arrival).
  FunctionInfo row(model::FunctionId fn, model::Micros now) const;
  std::size_t size() const { return rows_.size(); }

 private:
  // Private state is the implementation's to choose (running means, a per-minute arrival window). A row
  // is three cache lines, by what touches them (issue 15: Incendio at 50,000 functions, where rows miss
  // the cache): an arrival reads and writes the first only, a completion the second only.
  struct alignas(64) Row {
    // Line 1: arrivals.
    model::Micros last_arrival_us = model::kNever;
    std::uint64_t arrivals = 0;
    // Arrivals per minute, a ring over the Freq window; its newest slot is the minute of the latest
    // arrival (window_minute(): kept by last_arrival_us, not stored).
    std::array<std::uint32_t, kFreqWindowMinutes> window{};
    bool inputs = false;  // an arrival brought input bytes (before one, the Size mean is exactly 0)
    bool seeded = false;  // on_function_added gave it its spec's seeds
    // Line 2: completions and terminations.
    model::Micros init_us = 0, exec_us = 0, term_us = 0;
    std::uint64_t completions = 0, cold_starts = 0, terminations = 0;
    double input_bytes = 0;
    // Line 3: resources.
    double cpu_cores = 0, io_share = 0;
    model::MegaBytes memory_mb = 0;
    std::uint64_t measured = 0;
  };
  static_assert(sizeof(Row) == 192, "a row is three cache lines");
  Row& at(model::FunctionId fn);
  std::vector<Row> rows_;
};

}  // namespace hearth::policy
