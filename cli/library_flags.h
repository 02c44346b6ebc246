// `hearth sim --libraries F` (docs/scorpius.md): the flags of the library-preparation model and the
// setup they build (sim/library_prep.h): the data set read and mapped onto the workload's functions, the
// proactive library plan (Algorithm 1 or a baseline), and for --library-mode scorpius the code-scaling
// thresholds learned (Eq. 8) from a first pass over the same workload's per-minute demand: statistics
// from the functions of one half (a stable hash of their names), thresholds for every function from its
// trigger's statistics.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sim/engine.h"
#include "trace/workload.h"

namespace CLI {
class App;
}

namespace hearth::cli {

struct WorkloadFlags;

struct LibraryFlags {
  std::string path;                      // --libraries; empty = no library model
  std::string mode = "reg";              // --library-mode
  std::string placement = "scorpius";    // --library-placement: scorpius | hot | random
  double budget_mb = 1024;               // --library-budget-mb: the proactive plan per node
  double cache_mb = 2048;                // --library-cache-mb: a node's whole library store
  // Measured live (BENCHMARKS.md "Libraries"; docs/scorpius.md "Cost model"): per MB of Installed-Size.
  double fetch_ms_per_mb = 25, unpack_ms_per_mb = 265, per_library_ms = 150;
  double p0 = 0.9;                       // --scaling-p0
  std::string out;                       // --library-out DIR: CDF data
};

void add_library_flags(CLI::App& cmd, LibraryFlags& flags);
// Null without --libraries. Throws std::invalid_argument / trace::TraceError with the file and line.
std::shared_ptr<const sim::LibrarySetup> build_library_setup(const LibraryFlags& flags, const trace::Workload& workload,
                                                             const WorkloadFlags& workload_flags, std::uint32_t nodes,
                                                             std::uint64_t seed);
// One summary line per run on stdout; with --library-out, DIR/<name>_prep.csv (the CDF of the cold
// starts' preparation ms: value, cumulative fraction per histogram bucket, within 0.8 %) and DIR/<name>_storage.csv (each node's store at the end and its peak, MB).
void report_libraries(const LibraryFlags& flags, const std::string& name, const sim::LibraryReport& report);

}  // namespace hearth::cli
