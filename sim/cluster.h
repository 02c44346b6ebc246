// Cluster: the simulator's modelled nodes and containers, and the indexes the invocation path needs:
// idle containers per (function, node) with counts (sim/idle_index.h: "the newest idle container of f on
// n" and "how many" cost O(1), "which nodes hold an idle container of f" O(those nodes)),
// stem cells per node, and per-node eviction order (a lazily-cleaned min-heap on keep-alive priority).
// It implements ClusterView for placement policies. It decides nothing: the Engine drives it.
// Nodes by room (unreserved memory of healthy nodes, sim/node_room_index.h) answer for_each_node_with_room
// in O((visited + 1) log nodes): a node's reserved memory and health change only through reserve() and
// set_healthy(), never through node() (check_room_index() verifies it).
// Memory integrals (total and idle MB·µs) are exact: every state change settles them at its instant.
// Cost: take/put idle O(1) expected; eviction O(log idle) per evicted container; walking the eviction
// order (for_each_eviction_candidate) O(v log v) for v heap entries visited, stale ones included.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "model/cluster_view.h"
#include "model/container.h"
#include "model/function_spec.h"
#include "model/time.h"
#include "sim/huge_page_allocator.h"
#include "sim/idle_index.h"
#include "sim/node_room_index.h"

namespace hearth::sim {

class Cluster final : public model::ClusterView {
 public:
  Cluster(std::uint32_t nodes, model::MegaBytes memory_mb, std::int32_t cores, std::size_t functions);

  // ClusterView
  std::span<const model::NodeState> nodes() const override { return nodes_; }
  std::int32_t idle_containers(model::NodeId node, model::FunctionId fn) const override;
  // Node by node, in for_each_idle_node's order.
  void for_each_idle(model::FunctionId fn, const std::function<void(model::NodeId)>& visit) const override {
    idle_.for_each(fn, [&](model::NodeId node, IdleIndex::Id) { visit(node); });
  }
  // In the order the nodes came to hold one.
  void for_each_idle_node(model::FunctionId fn, const std::function<void(model::NodeId)>& visit) const override {
    idle_.for_each_node(fn, visit);
  }
  model::Micros now() const override { return now_; }
  model::MegaBytes busy_mb(model::NodeId node) const override {
    return nodes_[node].used_mb - idle_mb_[node] - pinned_mb_[node];
  }
  bool for_each_eviction_candidate(model::NodeId node,
                                   const std::function<bool(const model::Container&)>& visit) const override;
  void for_each_node_with_room(model::MegaBytes mb, std::uint32_t limit,
                               const std::function<bool(model::NodeId)>& visit) const override {
    room_.for_each_at_least(mb, limit, visit);
  }
  std::uint32_t healthy_nodes(std::uint32_t limit) const override;

  // Adds `delta_mb` to the node's reserved memory (NodeState::reserved_mb) and updates the room index.
  void reserve(model::NodeId node, model::MegaBytes delta_mb);
  void set_healthy(model::NodeId node, bool healthy);
  // Throws std::logic_error naming the node if the room index disagrees with the nodes (a reserved_mb or
  // healthy changed behind reserve() / set_healthy()). O(nodes); for invariant checks.
  void check_room_index() const;

  // The engine's record of the keep-alive expiry event it has pending for a container (at most one): kept
  // in the container's slot, which an expiry reads anyway. Reset when the slot is reused.
  struct ExpiryEvent {
    model::Micros at = model::kNever;  // its instant; kNever: none pending
    std::uint32_t generation = 0;      // the container generation it was scheduled for
  };
  ExpiryEvent& expiry_event(model::ContainerId id) { return slots_[id].expiry; }

  void set_now(model::Micros now) { now_ = now; }
  model::NodeState& node(model::NodeId id) { return nodes_[id]; }
  model::Container& container(model::ContainerId id) { return slots_[id].c; }
  // Starts loading a container's slot and the idle index's entry for (fn, node) (hints: no effect).
  void prefetch(model::ContainerId id, model::FunctionId fn, model::NodeId node) const {
    prefetch_slot(id);
    idle_.prefetch(fn, node);
  }
  void prefetch_slot(model::ContainerId id) const {
    const char* slot = reinterpret_cast<const char*>(&slots_[id]);
    __builtin_prefetch(slot);
    __builtin_prefetch(slot + 64);
  }
  // Hints for an arrival of `fn` on `node` soon: the idle index's entry, then (once that is loaded) its
  // record, returned for prefetch_idle_container.
  void prefetch_idle(model::FunctionId fn, model::NodeId node) const { idle_.prefetch(fn, node); }
  IdleIndex::Id prefetch_idle_record(model::FunctionId fn, model::NodeId node) const {
    return idle_.prefetch_record(fn, node);
  }
  // Once that record is loaded: the slot of the container take_idle would take (any record id: a hint).
  void prefetch_idle_container(IdleIndex::Id record) const {
    if (const IdleIndex::Id id = idle_.newest_hint(record); id < slots_.size()) prefetch_slot(id);
  }
  const model::Container& container(model::ContainerId id) const { return slots_[id].c; }

  // Creates a container holding `memory_mb` on `node` (the caller checked the memory is free).
  model::ContainerId create(model::NodeId node, model::FunctionId fn, model::RuntimeKind runtime,
                            model::MegaBytes memory_mb, model::ContainerState state);
  void destroy(model::ContainerId id);
  // Changes the memory a container holds (a worker added or gone; the caller checked growth fits).
  void resize(model::ContainerId id, model::MegaBytes memory_mb);

  // Most recently idled container of `fn` on `node` (warm, paused or prewarmed for fn), removed from the
  // idle indexes; nullopt if none.
  std::optional<model::ContainerId> take_idle(model::NodeId node, model::FunctionId fn);
  // Like take_idle, but the one of `fn` on `node` idle longest (a pool manager's termination).
  std::optional<model::ContainerId> take_oldest_idle(model::NodeId node, model::FunctionId fn);
  // Removes this idle container from the idle indexes (the scaling path picks containers by id).
  void take(model::ContainerId id) { unindex(id); }
  // A stem cell on `node` of `runtime` with at least `memory_mb` (exactly `memory_mb` when `exact`),
  // removed from the indexes.
  std::optional<model::ContainerId> take_stem_cell(model::NodeId node, model::RuntimeKind runtime,
                                                   model::MegaBytes memory_mb, bool exact = false);
  // Marks a container idle (function-specific) or prewarmed (function-specific or stem cell) with the
  // given eviction priority; adds it to the indexes. A `pinned` stem cell is never an eviction candidate
  // (OpenWhisk ≤ 2020 never removes prewarmed containers): it is in neither the eviction order nor
  // evictable_mb, and counts as idle memory.
  void put_idle(model::ContainerId id, model::ContainerState state, double priority, bool pinned = false);
  // Marks an idle container busy without going through the indexes (after take_*).
  void set_busy(model::ContainerId id);

  // Memory an eviction could free on `node` (sum of its idle containers and unpinned stem cells).
  model::MegaBytes evictable_mb(model::NodeId node) const { return idle_mb_[node]; }
  // The idle container on `node` with the lowest priority (ties: the older idle period), or nullopt.
  std::optional<model::ContainerId> eviction_candidate(model::NodeId node);
  // Pinned stem cells: their memory on `node`, and one of them (nullopt if none). The engine destroys
  // one only when a run cannot fit otherwise (see Engine::make_room).
  model::MegaBytes pinned_mb(model::NodeId node) const { return pinned_mb_[node]; }
  std::optional<model::ContainerId> pinned_stem_cell(model::NodeId node) const;
  // Stem cells on `node` of this runtime and exact memory size.
  int stem_cells(model::NodeId node, model::RuntimeKind runtime, model::MegaBytes memory_mb) const;

  // Memory integrals up to now(): MB·µs held by all containers and by idle ones.
  double used_mb_us() const { return used_mb_us_; }
  double idle_mb_us() const { return idle_mb_us_; }
  void settle();  // brings the integrals up to now()
  model::MegaBytes used_mb() const { return used_total_; }
  model::MegaBytes idle_mb() const { return idle_total_; }
  model::MegaBytes peak_used_mb() const { return peak_used_; }
  // The highest used memory since mark_peak() (for a window of the run).
  void mark_peak() { peak_since_mark_ = used_total_; }
  model::MegaBytes peak_used_since_mark_mb() const { return peak_since_mark_; }
  double memory_balance() const;  // std-dev across nodes of used/capacity
  // Across nodes, busy_mb/capacity (active memory: containers running or starting an invocation): mean
  // and population std-dev, into *mean and *stddev. O(nodes).
  void active_memory(double* mean, double* stddev) const;
  std::size_t live_containers() const { return slots_.size() - free_slots_.size(); }

 private:
  // Aligned to a cache line: a container's state is two whole lines, not parts of three.
  struct alignas(64) Slot {
    model::Container c;
    std::uint64_t idle_epoch = 0;   // changes every time the container enters the idle indexes
    ExpiryEvent expiry;
    bool indexed = false;
    bool pinned = false;  // a stem cell never evicted (indexed in stem_cells_ only)
  };
  static_assert(sizeof(Slot) == 128, "a slot is two cache lines");
  struct HeapEntry {
    double priority;
    std::uint64_t epoch;
    model::ContainerId id;
    bool operator>(const HeapEntry& o) const {
      return priority != o.priority ? priority > o.priority : epoch > o.epoch;
    }
  };
  // A min-heap kept with std::push_heap/pop_heap and std::greater, so its layout is the standard's
  // (children of i at 2i+1 and 2i+2) and for_each_eviction_candidate can walk it best-first in place.
  using MinHeap = std::vector<HeapEntry>;
  bool live(const HeapEntry& e) const { return slots_[e.id].indexed && slots_[e.id].idle_epoch == e.epoch; }

  void unindex(model::ContainerId id);
  void compact_heap(model::NodeId node);
  void change_used(model::NodeId node, model::MegaBytes delta);
  model::MegaBytes room_of(const model::NodeState& n) const {
    return n.healthy ? n.unreserved_mb() : NodeRoomIndex::kNoRoom;
  }

  model::Micros now_ = 0;
  model::Micros settled_at_ = 0;
  std::vector<model::NodeState> nodes_;
  NodeRoomIndex room_;
  std::uint32_t unhealthy_ = 0;
  HugeVector<Slot> slots_;
  std::vector<model::ContainerId> free_slots_;
  IdleIndex idle_;                                             // (function, node) → idle containers
  std::vector<std::vector<model::ContainerId>> stem_cells_;   // node → stem cells
  std::vector<MinHeap> eviction_;                             // node → idle containers by priority
  std::vector<double> max_pushed_;                            // node → highest priority pushed on its heap
  mutable std::vector<std::uint32_t> walk_;                   // scratch: heap indices still to visit
  std::vector<std::uint32_t> idle_count_;                     // node → idle containers (heap live entries)
  std::vector<model::MegaBytes> idle_mb_;                     // node → evictable idle memory
  std::vector<model::MegaBytes> pinned_mb_;                   // node → pinned stem cells' memory
  std::uint64_t next_epoch_ = 1;
  model::MegaBytes used_total_ = 0;
  model::MegaBytes idle_total_ = 0;
  model::MegaBytes peak_used_ = 0;
  model::MegaBytes peak_since_mark_ = 0;
  double used_mb_us_ = 0;
  double idle_mb_us_ = 0;
};

}  // namespace hearth::sim
