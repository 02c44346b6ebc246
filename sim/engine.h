// The discrete-event simulator: replays a Workload on modelled nodes through the invocation path of
// DESIGN.md, driven by policy objects chosen by name:
//   arrival → keepalive.on_arrival → placement.place → node queue (FIFO) → the node's containers give a
//   warm (idle of the function), prewarmed (stem cell or pre-loaded) or new container, evicting idle
//   containers in keep-alive priority order when memory is short → run (startup + exec; the node's cores
//   shared by its running invocations, or one core each: SimConfig::cpu_model) → completion →
//   keepalive.on_idle decides the container's fate → the node's queue drains.
// A placement answering kHoldAtController (non-forced scheduling, `openwhisk:overload=wait`) holds the
// invocation in one controller FIFO; after every completion the oldest held invocations are placed again
// until one is held again.
// An invocation waits in its node's queue while the node has too little memory even after evicting every
// idle container (and, under the fifo CPU model, while it has no free core). It is dropped (with a
// reason) only when its function needs more memory than a node has, when no node is healthy, or when the
// node's queue is at queue_limit.
// With a scaling policy (policy/scaling.h: knative, hyperfaas) containers run up to `slots` invocations
// at once (each counts against one core of its node, the policies' limit; in a container with a CPU
// quota they share the quota, sim/container_cpu.h; otherwise, under processor sharing, each is a job of
// the node's CPU): invocations wait in a per-function buffer instead of node queues,
// containers start in the background as the policy asks and are retired by its ticks
// (docs/autoscaling.md). Without one (scaling "none"), the path above, unchanged.
// Request scheduling (SimConfig::scheduler, policy/request_scheduler.h): with `fifo` (the default) the
// node queue drains as above. Any other scheduler decides which of a node's waiting requests start
// whenever capacity may have appeared there (an arrival, a completion, a prewarm ready), as its contract
// says; the node then also admits by CPU allocation and drops requests that waited past the queue
// timeout (see cpu_admission and queue_timeout_us). A pool manager (SimConfig::pool_manager,
// policy/pool_manager.h) is asked every tick which containers to prewarm (a background cold start on
// free memory) or terminate (idle ones, idle longest first). Neither applies to the scaling path.
// Virtual time only; deterministic given the workload, the config and the seed.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/time.h"
#include "policy/cpu_shares.h"
#include "policy/pool_manager.h"
#include "policy/request_scheduler.h"
#include "sim/latency_timeline.h"
#include "sim/library_prep.h"
#include "sim/metrics.h"
#include "trace/workload.h"

namespace hearth::sim {

// d of the cold-start contention model (time each concurrent creation adds to a cold start): the median
// slope of five calibration runs of build/cold_contention_bench on the project's 2-core machine
// (docs/calibration.md, "Cold-start contention").
inline constexpr model::Micros kDefaultColdContentionUs = 110 * model::kMicrosPerMilli;
inline constexpr std::int32_t kColdContentionCalibrationCores = 2;  // that machine's cores
// SimConfig::queue_timeout_us's default with a scheduler other than fifo.
using policy::kDefaultSchedulerQueueTimeoutUs;
// §IV of the Incendio paper: a function's CPU allocation is one core per 512 MB of memory.
inline constexpr model::MegaBytes kMegaBytesPerCore = 512;

struct SimConfig {
  std::uint32_t nodes = 1;
  model::MegaBytes node_memory_mb = 64 * 1024;
  std::int32_t node_cores = 64;
  std::size_t queue_limit = 0;  // per node; 0 = unbounded
  std::string placement = "openwhisk";
  std::string keepalive = "openwhisk";
  std::string prewarm = "openwhisk";
  std::string scaling = "none";  // autoscaler spec (policy/scaling.h); none = one invocation per container
  // A node's request scheduler (policy/request_scheduler.h; `hearth policies`). fifo: the queue drains
  // oldest first, exactly as before schedulers existed.
  std::string scheduler = "fifo";
  // The pool manager (policy/pool_manager.h): none, or a spec make_pool_manager knows.
  std::string pool_manager = "none";
  // Admission by CPU allocation: a request starts only while the CPU allocations of its node's running
  // requests plus its own stay within the node's cores; a function's allocation is its memory / 512 MB
  // cores (§IV of the Incendio paper: 512 MB ↔ 1 core), at most the node's cores. A node running nothing
  // starts its oldest request regardless. Unset: on with a scheduler other than fifo, off with fifo.
  std::optional<bool> cpu_admission;
  // A request waiting in a node's queue longer than this is dropped (DropReason::kTimeout) when the node
  // next schedules. 0 = never. Unset: 60 s (OpenWhisk's default action time limit: a client has given up by
  // then) with a scheduler other than fifo, never with fifo. Setting either of these two with fifo runs
  // fifo through the scheduler path too (same admission and timeout for every scheduler compared).
  std::optional<model::Micros> queue_timeout_us;
  // Modelled time to destroy a container (the Function Info Table's Term, reported to the scheduler and the
  // pool manager): this fraction of its function's cold start. Default: the Incendio paper's Fig. 4
  // (Java hello on OpenWhisk: termination 2,401 ms against initialisation 4,023 ms). Its memory is freed
  // at once (the simulator does not hold it during termination).
  double termination_fraction = 2401.0 / 4023.0;
  // Held-out evaluation: invocations arriving before this are replayed (the policies learn from them) but
  // not counted in the metrics (Metrics::set_measure_from) nor in warm_benefit_s. 0: count everything.
  model::Micros measure_from_us = 0;
  // Tests: a pool manager to use instead of building one from `pool_manager` (not owned; outlives the run).
  policy::PoolManager* pool_manager_instance = nullptr;
  // Scaling path, HyperFaaS container sharing: a container the policy asks for first borrows a worker of
  // another function's ready container (same runtime, at least its memory, one guest per host) on a
  // node with a spare core: it starts after the function's init only (a generic worker specialised),
  // holds no memory of its own (the host's cgroup has it) and counts as a prewarm start.
  bool share_containers = false;
  // How a node's cores run its invocations (docs/architecture.md, "One invocation", steps 4-5):
  //  kShares: processor sharing. Every invocation a node starts runs at once (as many as its memory
  //    holds, as OpenWhisk's per-invoker memory semaphore admits them); when more run than the node has
  //    cores, each progresses at cores/running of a core (weighted by cpu_weights below; never faster
  //    than one core), so executions stretch instead of queueing (sim/processor_sharing.h). Start-up
  //    (cold, init, resume) is not CPU work: it elapses at wall speed. The scaling path keeps its
  //    policies' own limit (a slot per core).
  //  kFifo: one core per running invocation; an invocation waits in its node's FIFO queue while all
  //    cores are busy, then runs for its trace duration.
  enum class CpuModel : std::uint8_t { kShares, kFifo };
  CpuModel cpu_model = CpuModel::kShares;
  // kShares only: the share of a trace duration that is CPU work subject to sharing; the rest is waiting
  // (I/O) that elapses at wall speed before the CPU part and slows nobody. 0 < cpu_fraction <= 1.
  double cpu_fraction = 1.0;
  // kShares only: each invocation's CPU weight (policy/cpu_shares.h): equal, or OpenWhisk's --cpu-shares from
  // its function's memory (after the action memory limits below) and node_memory_mb as the invoker's user
  // memory. Weighted processor sharing water-fills the cores, no invocation above one core.
  policy::CpuWeights cpu_weights = policy::CpuWeights::kEqual;
  // Cold-start contention (sim/cold_contention.h): a cold start beginning while N-1 others are in progress
  // on its node costs cold_start_us · (1 + k·(N−1)) + d·(N−1), with k = cold_contention and
  // d = cold_contention_us as measured on a machine of cold_contention_cores cores, scaled to the node
  // by cold_contention_cores / node_cores (creations share the node's cores: twice the cores, half the
  // slow-down). k = d = 0 disables. Default: d calibrated on Hearth's sandboxes (docs/calibration.md).
  double cold_contention = 0;
  model::Micros cold_contention_us = kDefaultColdContentionUs;
  std::int32_t cold_contention_cores = kColdContentionCalibrationCores;
  // Action memory limits (OpenWhisk's whisk.memory min/max, preset openwhisk-2020): each function's
  // memory is clamped to [min, max] for placement and its containers alike. 0 = no limit.
  model::MegaBytes memory_min_mb = 0;
  model::MegaBytes memory_max_mb = 0;
  std::uint64_t seed = 1;
  // OpenWhisk's namespace for trace functions (names without '/') in the sticky placements' hash
  // (policy/openwhisk_hash.h): another namespace is another hash assignment of functions to home invokers.
  std::string hash_namespace = "guest";
  model::Micros series_interval_us = model::kMicrosPerMinute;
  TimelineConfig timeline;  // latency over time for a window of the run (disabled by default)
  // Verify after every event that no node holds more memory or runs more invocations than it has
  // (throws std::logic_error naming the node). For tests; costs O(nodes) per event.
  bool check_invariants = false;
  // Library preparation (sim/library_prep.h, `--libraries`): null = cold starts pay no library cost and
  // the engine does no library work at all.
  std::shared_ptr<const LibrarySetup> libraries;
  // Fold the metrics (latency histograms, per-function statistics, series, 10-s windows) on a thread of
  // their own (sim/metrics_pipe.h), so that a run uses a second core for them; the results are the same
  // bit for bit. Off: everything on the calling thread (better when other runs keep every core busy).
  bool metrics_thread = false;
  // Tests: records per hand-over to that thread, in a ring of two (0: sim/metrics_pipe.h's defaults).
  std::size_t metrics_batch = 0;
  // Called now and then with the fraction of the trace replayed (for progress on stderr).
  std::function<void(double)> progress;
};

struct SimResult {
  Metrics metrics{0, model::kMicrosPerMinute};
  model::Micros end_us = 0;          // virtual time when the run ended
  double total_memory_gb_s = 0;      // ∫ memory held by containers dt
  double idle_memory_gb_s = 0;       // ∫ memory held by idle containers dt (kept alive, paused or prewarmed)
  model::MegaBytes peak_memory_mb = 0;
  double mean_memory_balance = 0;    // mean over series samples of the std-dev of node used fractions
  std::uint64_t containers_created = 0;
  std::uint64_t evictions = 0;       // destroyed under memory pressure
  std::uint64_t expirations = 0;     // destroyed by keep-alive expiry
  std::uint64_t retired = 0;         // scaling path: idle containers removed by the policy's scale-down
  std::array<std::uint64_t, 4> admissions_by_phase{};  // scaling path: invocations admitted, by policy phase
  std::int32_t max_slots_used = 0;   // scaling path: the most invocations one container ran at once
  std::uint64_t shared_starts = 0;   // scaling path: containers started on a borrowed worker (share_containers)
  std::uint64_t pool_prewarms = 0;      // containers a pool manager prewarmed
  std::uint64_t pool_terminations = 0;  // idle containers a pool manager terminated
  std::uint64_t scheduler_decisions = 0;  // scheduler path: times a node's scheduler was asked
  // Σ over warm and prewarm starts of (the function's cold start − the start-up paid): the Incendio paper's
  // total latency benefit (Table III), seconds.
  double warm_benefit_s = 0;
  // The placement policy's decision counts by kind (PlacementPolicy::decision_counts; empty if it keeps none).
  std::vector<std::pair<std::string, std::uint64_t>> placement_decisions;
  LatencyTimeline timeline;          // filled when SimConfig::timeline is enabled
  double window_memory_gb_s = 0;     // ∫ memory held by containers over the timeline's window
  model::MegaBytes window_peak_memory_mb = 0;  // the most memory held at once in that window
  double wall_seconds = 0;
  std::optional<LibraryReport> libraries;  // with SimConfig::libraries
};

// Runs the whole workload. Throws std::invalid_argument for a bad policy spec or config, and lets
// trace::TraceError through for malformed input discovered while streaming.
SimResult run_simulation(trace::Workload& workload, const SimConfig& config);

}  // namespace hearth::sim
