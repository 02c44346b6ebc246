// The FaasCache-compatible engine (`hearth sim --semantics faascache`): replays a Workload with the
// semantics of FaasCache's published simulator (Fuerst & Sharma, ASPLOS'21; aFuerst/faascache-sim,
// code/split/LambdaScheduler.py and Container.py), so its results can be reproduced and compared with
// Hearth's richer model (sim/engine.h). See docs/faascache.md for what differs and why.
//
// Model, per invocation at its arrival time t (unlimited CPU: every invocation starts at arrival):
//   1. containers whose run has finished by t become idle (HIST: a finished container of a function
//      with a non-zero prewarm is purged at once);
//   2. HIST: for every function whose predicted next arrival (last seen + prewarm) is still >= t, a new
//      container is loaded at t if it fits in free memory (never evicting);
//   3. HIST: the function's inter-arrival histogram is updated (sim/faascache_histogram.h);
//   4. the idle containers of the function are looked up; TTL/HIST first purge the ones whose last
//      access + TTL < t (lazy expiry: only when the function is invoked again);
//   5. hit: the first idle container in pool order runs for `Average` (a warm start);
//      miss: if the new container does not fit, containers are popped from the priority heap, running
//      ones skipped, until its full size is freed; GD's clock becomes the priority of the last one
//      evicted; the container is then added if it fits, else the invocation is dropped (kNoMemory);
//      it runs for `Maximum` (a cold start);
//   6. the container's run count goes up; the priority of every container of the function becomes
//      GD: clock + (sum of run counts of the function's live containers)·(Maximum − Average)/memory,
//      LRU/TTL/HIST: the last access time.
// The pool is kept as FaasCache keeps it, a Python list re-heapified after each step (sim/py_heap_list.h),
// so equal priorities are broken exactly as FaasCache breaks them. That costs O(pool) per invocation,
// as in FaasCache; the exact eviction semantics live here, not in policy/ (whose Greedy-Dual, TTL and
// histogram policies model Hearth's richer platform and differ on purpose: see docs/faascache.md).
//
// Clock: every decision compares FaasCache's float milliseconds, not Hearth's µs: an invocation's time
// is InvocationSource::faascache_arrival_ms when the source gives it (the Azure 2019 reader with
// TraceOptions::faascache: bit for bit the float FaasCache's converter computes), else arrival_us / 1000.
// Runs end at that time + the duration in ms; TTL, histogram idle minutes, LRU priorities all use it.
// Metrics (latency, memory series) stay in µs. Durations are whole milliseconds when whole_ms (FaasCache
// truncates Average and Maximum with int()): a hit takes FunctionSpec::warm_us, a miss warm_us +
// cold_start_us (= Maximum under trace::ColdModel::kMaximum, the default). Deterministic; no randomness.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "model/time.h"
#include "sim/engine.h"
#include "trace/workload.h"

namespace hearth::sim {

// FaasCache's eviction policies that this engine reproduces.
enum class FaasCachePolicy { kGreedyDual, kTtl, kLru, kHistogram };

struct FaasCacheKeepAlive {
  FaasCachePolicy policy = FaasCachePolicy::kGreedyDual;
  model::Micros ttl_us = model::minutes(10);  // TTL policy: FaasCache's self.TTL (10 minutes)
};

// Parses a keep-alive spec: FaasCache's names (gd, ttl, lru, hist; any case) or Hearth's
// (greedy-dual, ttl, lru, hybrid-histogram). Parameter: ttl (`ttl:5m`, `ttl:ttl=5m`) for TTL only.
// Throws std::invalid_argument naming the spec and the supported names.
FaasCacheKeepAlive parse_faascache_keepalive(std::string_view spec);
const char* faascache_policy_name(FaasCachePolicy p);  // "GD", "TTL", "LRU", "HIST"

struct FaasCacheConfig {
  model::MegaBytes memory_mb = 32000;  // the one memory pool (FaasCache's mem_capacity default)
  std::string keepalive = "gd";        // see parse_faascache_keepalive
  bool whole_ms = true;                // truncate durations to whole ms, as FaasCache's int()
  model::Micros series_interval_us = model::kMicrosPerMinute;
  // Verify after every invocation that the pool is a heap, memory adds up and stays within the pool,
  // and running containers are in the pool (throws std::logic_error). For tests; O(pool) per call.
  bool check_invariants = false;
  std::function<void(double)> progress;  // fraction of the trace replayed, now and then
};

// Runs the whole workload. Fills SimResult as sim/report.h expects: hits are warm starts, misses cold
// starts, latency = run time, drops kNoMemory, memory integrals (held = all containers in the pool,
// idle = held minus running), peak, containers created, evictions (pressure) and expirations (TTL/HIST
// purges). Throws std::invalid_argument for a bad spec or config.
SimResult run_faascache(trace::Workload& workload, const FaasCacheConfig& config);

}  // namespace hearth::sim
