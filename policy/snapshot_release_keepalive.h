// Snapshot-and-release keep-alive (FaaSnap, seed 001 Ch. 5; issue 14; docs/faasnap.md). An idle container
// lives `idle` (default 1 min) after its last use; then — and when evicted under memory pressure — the
// policy checkpoints it to its node's disk and its memory is released. A later cold start of the same
// function on that node restores from the snapshot instead (StartKind::kSnapshot), paying the restore
// model instead of the function's cold start:
//   restore_us = base + image_mb / rate,  image_mb = image × the function's memory (MB)
// with base = 475 ms (runsc's sandbox set-up before it reads any page) and rate = 360 MB/s (its copy of
// the pages file into the Sentry's memory), both measured by build/faasnap_bench (docs/faasnap.md).
// A function whose restore would not be faster than its cold start is never snapshotted: its idle
// containers live `ttl` (10 min) as under the ttl baseline. Each node keeps its snapshots in an LRU
// store of `disk` MB (a restore counts as a use); a snapshot that does not fit evicts the least
// recently used ones, one larger than the whole budget is not kept. The checkpoint's own time is off
// the critical path (the container is idle) and not modelled; snapshots hold no memory.
// Cost: O(1) per call (hash map + list per node); memory O(snapshots kept).
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <unordered_map>
#include <vector>

#include "policy/keepalive.h"

namespace hearth::policy {

struct SnapshotReleaseParams {
  model::Micros idle_us = model::kMicrosPerMinute;       // idle time before snapshot and release
  model::Micros ttl_us = 10 * model::kMicrosPerMinute;   // keep-alive of functions not worth a snapshot
  double disk_mb = 64 * 1024;                           // snapshot store per node
  model::Micros base_us = 475 * model::kMicrosPerMilli;  // restore set-up
  double rate_mb_s = 360;                               // restore copy rate
  double image_fraction = 1.0;                          // image MB per MB of function memory
};

class SnapshotReleaseKeepAlive final : public KeepAlivePolicy {
 public:
  // Throws std::invalid_argument for a non-positive rate, image fraction or idle time, or a negative disk.
  explicit SnapshotReleaseKeepAlive(const SnapshotReleaseParams& params);
  std::string_view name() const override { return "snapshot-and-release"; }
  IdleDecision on_idle(const model::Container& c, const model::FunctionSpec& fn, model::Micros now) override;
  void on_evict(const model::Container& c, bool pressure, model::Micros now) override;
  void on_function_added(const model::FunctionSpec& fn) override;
  std::optional<model::Micros> restore_from_snapshot(model::NodeId node, const model::FunctionSpec& fn,
                                                     model::Micros now) override;

  model::Micros restore_us(const model::FunctionSpec& fn) const;  // the restore model above
  double image_mb(const model::FunctionSpec& fn) const;
  bool worth_snapshot(const model::FunctionSpec& fn) const { return restore_us(fn) < fn.cold_start_us; }
  bool releases_to_snapshots() const override { return true; }
  bool has_snapshot(model::NodeId node, model::FunctionId fn) const override;
  double disk_used_mb(model::NodeId node) const;
  std::uint64_t snapshots_taken() const { return taken_; }
  std::uint64_t snapshots_evicted() const { return evicted_; }

 private:
  struct Store {
    std::list<model::FunctionId> lru;  // most recently used first
    std::unordered_map<model::FunctionId, std::pair<std::list<model::FunctionId>::iterator, double>> where;
    double used_mb = 0;
  };
  Store& store(model::NodeId node);
  SnapshotReleaseParams p_;
  std::vector<model::FunctionSpec> functions_;  // by id: what on_evict needs (memory, cold start)
  std::vector<Store> stores_;                   // by node, grown on demand
  std::uint64_t taken_ = 0, evicted_ = 0;
};

}  // namespace hearth::policy
