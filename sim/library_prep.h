// Library preparation in the simulator (`hearth sim --libraries F`, docs/scorpius.md "Cost model").
// Every function imports a set of libraries (trace/library_dataset.h). A cold start (a new container, or
// a stem cell specialised to the function) on a node pays, for each imported library the node does not
// hold, fetch + unpack per byte + a per-library constant; libraries being prepared by code scaling make it
// wait until they are ready. Fetched libraries stay in the node's library store, bounded by cache_kb: the
// proactive plan (pinned) plus least-recently-used reactive ones (evicted LRU first; a library that does not
// fit even after evicting every reactive one is used and dropped).
// Modes (Fig. 13):
//   reg       REG, reactive package-based: nothing prepared in advance; every node's store is its LRU cache.
//   sock      SOCK's repository: every library of the data set prepared on every node (unbounded).
//   ondemand  Scorpius's library placement (policy/library_placement.h) pinned in each node's store, the
//             `scorpius` placement's lookup; a function's code is scaled out on demand only.
//   scorpius  ondemand plus proactive code scaling (policy/code_scaling.h): on every arrival the function's
//             usage (concurrent executions, in units of 1/units_per_code, from its arrivals in this and the
//             last minute × its mean execution time) is compared with its threshold array; when it asks for
//             another code, the function's libraries are prepared in the background on the lookup's next
//             server (not one of its code servers, not overloaded). The first cold start on that server
//             judges the preparation late or early, and the array adjusts.
// The costs' defaults are the live platform's measured preparation of real Debian packages (fetch over the
// wire, verify, unpack, byte-compile; docs/scorpius.md "Cost model"), per MB of Installed-Size. Cost per cold start O(|G_f| · log store); per arrival O(1), plus the lookup
// O(|K|·|G_f|) when a code is scaled.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string_view>
#include <vector>

#include "model/cluster_view.h"
#include "model/function_spec.h"
#include "model/time.h"
#include "policy/code_scaling.h"
#include "policy/library_placement.h"
#include "policy/scorpius_placement.h"
#include "sim/latency_histogram.h"

namespace hearth::sim {

enum class LibraryMode { kReg, kSock, kOnDemand, kScorpius };
LibraryMode parse_library_mode(std::string_view name);  // throws std::invalid_argument
const char* library_mode_name(LibraryMode mode);

struct LibraryCostModel {
  model::Micros fetch_us_per_mb = 25'000;    // the .deb over the invoker's wire, per installed MB
  model::Micros unpack_us_per_mb = 265'000;  // verify + unpack + byte-compile, per installed MB
  model::Micros per_library_us = 150'000;    // per library: dpkg-deb and compileall process starts
  model::Micros cost_us(std::int64_t size_kb) const {
    return (size_kb * (fetch_us_per_mb + unpack_us_per_mb)) / 1024 + per_library_us;
  }
};

struct LibrarySetup {
  LibraryMode mode = LibraryMode::kReg;
  std::vector<std::int64_t> size_kb;                    // per library
  std::vector<std::vector<policy::LibraryId>> imports;  // per function of the workload
  policy::LibraryMatrix plan;                           // ondemand/scorpius: the proactive preparation
  std::int64_t cache_kb = 2 * 1024 * 1024;              // per node store (the plan included); not for sock
  LibraryCostModel cost;
  std::vector<std::vector<std::int32_t>> thresholds;    // scorpius: per function (empty: on demand)
  policy::ThresholdParams scaling;
};

struct LibraryReport {
  LibraryMode mode = LibraryMode::kReg;
  LatencyHistogram prep_us;                // preparation latency of every cold start (fixed memory)
  std::vector<std::int64_t> node_end_kb;   // each node's store at the end
  std::vector<std::int64_t> node_peak_kb;  // each node's largest store
  double mean_stored_kb = 0;               // time-average of the whole cluster's stores
  std::int64_t fetched_kb = 0;             // bytes prepared (reactive and code scaling)
  std::uint64_t library_hits = 0, library_misses = 0, evictions = 0;
  std::uint64_t scaled_codes = 0, late = 0, early = 0;
};

class LibraryPrep {
 public:
  // Throws std::invalid_argument when the setup's imports do not cover `functions`, an id is out of
  // range, or the plan's shape does not match (nodes × libraries).
  LibraryPrep(const LibrarySetup& setup, std::uint32_t nodes, std::size_t functions);
  // A cold start of `fn` on `node` at `now`: prepares what is missing; returns the preparation latency.
  model::Micros cold_start(model::NodeId node, const model::FunctionSpec& fn, model::Micros now,
                           const model::ClusterView& view);
  // Every arrival (code scaling; O(1) unless a code is scaled).
  void on_arrival(const model::FunctionSpec& fn, model::Micros now, const model::ClusterView& view);
  const policy::LibraryStatus& status() const { return status_; }
  LibraryReport report(model::Micros end);

 private:
  struct Store {
    std::set<std::pair<model::Micros, policy::LibraryId>> lru;  // reactive libraries by last use
    std::int64_t kb = 0, peak_kb = 0;
  };
  std::size_t at(model::NodeId node, policy::LibraryId lib) const { return static_cast<std::size_t>(node) * libs_ + lib; }
  bool insert(model::NodeId node, policy::LibraryId lib, model::Micros ready, model::Micros now);
  void settle(model::Micros now);
  // Prepares fn's libraries on node; returns the time until all are ready.
  model::Micros prepare(model::NodeId node, model::FunctionId fn, model::Micros now);

  const LibrarySetup& setup_;
  std::uint32_t nodes_;
  std::uint32_t libs_;
  std::vector<model::Micros> ready_;     // node × library: when ready; -1 absent
  std::vector<model::Micros> last_use_;  // node × library (reactive ones' LRU key)
  std::vector<bool> pinned_;             // node × library
  std::vector<Store> stores_;
  std::vector<std::vector<std::uint32_t>> code_servers_;
  std::vector<std::vector<model::Micros>> code_ready_;  // per function, per code server: when ready; -1 judged
  std::vector<policy::ThresholdArray> arrays_;
  std::vector<std::int64_t> minute_, count_, prev_count_;
  policy::LibraryStatus status_;
  LibraryReport report_;
  std::int64_t total_kb_ = 0;
  double kb_us_ = 0;
  model::Micros settled_ = 0;
};

}  // namespace hearth::sim
