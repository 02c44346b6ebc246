#include "sim/cluster.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace hearth::sim {

using model::ContainerId;
using model::ContainerState;
using model::FunctionId;
using model::MegaBytes;
using model::NodeId;

Cluster::Cluster(std::uint32_t nodes, MegaBytes memory_mb, std::int32_t cores, std::size_t functions)
    : nodes_(nodes),
      room_(nodes),
      idle_(functions),
      stem_cells_(nodes),
      eviction_(nodes),
      max_pushed_(nodes, -std::numeric_limits<double>::infinity()),
      idle_count_(nodes, 0),
      idle_mb_(nodes, 0),
      pinned_mb_(nodes, 0) {
  for (NodeId i = 0; i < nodes; ++i) {
    nodes_[i].id = i;
    nodes_[i].capacity_mb = memory_mb;
    nodes_[i].cores = cores;
    room_.set(i, room_of(nodes_[i]));
  }
}

void Cluster::reserve(NodeId node, MegaBytes delta_mb) {
  model::NodeState& n = nodes_[node];
  n.reserved_mb += delta_mb;
  room_.set(node, room_of(n));
}

void Cluster::set_healthy(NodeId node, bool healthy) {
  model::NodeState& n = nodes_[node];
  if (n.healthy != healthy) unhealthy_ += healthy ? -1 : 1;
  n.healthy = healthy;
  room_.set(node, room_of(n));
}

std::uint32_t Cluster::healthy_nodes(std::uint32_t limit) const {
  const auto n = static_cast<std::uint32_t>(std::min<std::size_t>(limit, nodes_.size()));
  if (unhealthy_ == 0) return n;
  return ClusterView::healthy_nodes(limit);
}

void Cluster::check_room_index() const {
  std::uint32_t unhealthy = 0;
  for (const model::NodeState& n : nodes_) {
    unhealthy += !n.healthy;
    if (room_.room(n.id) != room_of(n))
      throw std::logic_error("node " + std::to_string(n.id) + ": room index says " + std::to_string(room_.room(n.id)) +
                             " MB, the node has " + (n.healthy ? std::to_string(n.unreserved_mb()) + " MB unreserved"
                                                                : std::string("failed")));
  }
  if (unhealthy != unhealthy_)
    throw std::logic_error("cluster counts " + std::to_string(unhealthy_) + " unhealthy nodes, there are " +
                           std::to_string(unhealthy));
}

std::int32_t Cluster::idle_containers(NodeId node, FunctionId fn) const { return idle_.count(fn, node); }

void Cluster::settle() {
  const double dt = static_cast<double>(now_ - settled_at_);
  used_mb_us_ += dt * static_cast<double>(used_total_);
  idle_mb_us_ += dt * static_cast<double>(idle_total_);
  settled_at_ = now_;
}

void Cluster::change_used(NodeId node, MegaBytes delta) {
  settle();
  nodes_[node].used_mb += delta;
  used_total_ += delta;
  peak_used_ = std::max(peak_used_, used_total_);
  peak_since_mark_ = std::max(peak_since_mark_, used_total_);
  assert(nodes_[node].used_mb <= nodes_[node].capacity_mb && nodes_[node].used_mb >= 0);
}

ContainerId Cluster::create(NodeId node, FunctionId fn, model::RuntimeKind runtime, MegaBytes memory_mb,
                            ContainerState state) {
  ContainerId id;
  if (!free_slots_.empty()) {
    id = free_slots_.back();
    free_slots_.pop_back();
  } else {
    id = static_cast<ContainerId>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[id];
  const std::uint32_t generation = s.c.generation + 1;
  s = Slot{};
  s.c.id = id;
  s.c.generation = generation;
  s.c.node = node;
  s.c.function = fn;
  s.c.runtime = runtime;
  s.c.state = state;
  s.c.memory_mb = memory_mb;
  s.c.created_us = now_;
  s.c.last_used_us = now_;
  change_used(node, memory_mb);
  return id;
}

void Cluster::destroy(ContainerId id) {
  Slot& s = slots_[id];
  if (s.indexed) unindex(id);
  change_used(s.c.node, -s.c.memory_mb);
  s.c.state = ContainerState::kStarting;
  s.c.function = model::kNoFunction;
  free_slots_.push_back(id);
}

void Cluster::resize(ContainerId id, MegaBytes memory_mb) {
  Slot& s = slots_[id];
  const MegaBytes delta = memory_mb - s.c.memory_mb;
  if (delta == 0) return;
  change_used(s.c.node, delta);  // settles first
  if (s.indexed) {
    idle_total_ += delta;
    idle_mb_[s.c.node] += delta;
  }
  s.c.memory_mb = memory_mb;
}

void Cluster::unindex(ContainerId id) {
  Slot& s = slots_[id];
  assert(s.indexed);
  const NodeId node = s.c.node;
  if (s.c.function == model::kNoFunction) {
    auto& cells = stem_cells_[node];
    cells.erase(std::find(cells.begin(), cells.end(), id));
  } else {
    idle_.remove(id);
  }
  settle();
  idle_total_ -= s.c.memory_mb;
  if (s.pinned) {
    pinned_mb_[node] -= s.c.memory_mb;
  } else {
    idle_mb_[node] -= s.c.memory_mb;
    --idle_count_[node];
  }
  s.indexed = false;
  s.pinned = false;
  ++s.idle_epoch;  // invalidates its heap entry
}

void Cluster::put_idle(ContainerId id, ContainerState state, double priority, bool pinned) {
  Slot& s = slots_[id];
  assert(!s.indexed);
  assert(!pinned || s.c.function == model::kNoFunction);
  const NodeId node = s.c.node;
  s.c.state = state;
  s.c.priority = priority;
  s.c.last_used_us = now_;
  s.indexed = true;
  s.idle_epoch = next_epoch_++;
  if (s.c.function == model::kNoFunction) {
    stem_cells_[node].push_back(id);
  } else {
    idle_.add(id, s.c.function, node);
  }
  settle();
  idle_total_ += s.c.memory_mb;
  if (pinned) {
    s.pinned = true;
    pinned_mb_[node] += s.c.memory_mb;
    return;
  }
  idle_mb_[node] += s.c.memory_mb;
  ++idle_count_[node];
  eviction_[node].push_back(HeapEntry{priority, s.idle_epoch, id});
  // An entry at or above every priority pushed so far (ttl, lru: the priority is the time) is above its
  // parent (equal priorities: its epoch is the newest), so push_heap would leave it where it is: skipped,
  // without reading the parent (a cache miss). The heap is exactly push_heap's either way.
  if (priority >= max_pushed_[node]) max_pushed_[node] = priority;
  else std::push_heap(eviction_[node].begin(), eviction_[node].end(), std::greater<HeapEntry>());
  if (eviction_[node].size() > 2 * static_cast<std::size_t>(idle_count_[node]) + 64) compact_heap(node);
}

void Cluster::compact_heap(NodeId node) {
  MinHeap& heap = eviction_[node];
  heap.erase(std::remove_if(heap.begin(), heap.end(), [&](const HeapEntry& e) { return !live(e); }), heap.end());
  std::make_heap(heap.begin(), heap.end(), std::greater<HeapEntry>());
}

std::optional<ContainerId> Cluster::take_idle(NodeId node, FunctionId fn) {
  const IdleIndex::Id id = idle_.newest(fn, node);
  if (id == IdleIndex::kNil) return std::nullopt;
  unindex(id);
  return id;
}

std::optional<ContainerId> Cluster::take_oldest_idle(NodeId node, FunctionId fn) {
  const IdleIndex::Id id = idle_.oldest(fn, node);
  if (id == IdleIndex::kNil) return std::nullopt;
  unindex(id);
  return id;
}

std::optional<ContainerId> Cluster::take_stem_cell(NodeId node, model::RuntimeKind runtime, MegaBytes memory_mb,
                                                  bool exact) {
  for (ContainerId id : stem_cells_[node]) {
    const model::Container& c = slots_[id].c;
    if (c.runtime == runtime && (exact ? c.memory_mb == memory_mb : c.memory_mb >= memory_mb)) {
      unindex(id);
      return id;
    }
  }
  return std::nullopt;
}

void Cluster::set_busy(ContainerId id) {
  Slot& s = slots_[id];
  assert(!s.indexed);
  s.c.state = ContainerState::kBusy;
  ++s.c.uses;
}

std::optional<ContainerId> Cluster::eviction_candidate(NodeId node) {
  MinHeap& heap = eviction_[node];
  while (!heap.empty()) {
    if (live(heap.front())) return heap.front().id;
    std::pop_heap(heap.begin(), heap.end(), std::greater<HeapEntry>());
    heap.pop_back();
  }
  return std::nullopt;
}

bool Cluster::for_each_eviction_candidate(NodeId node,
                                          const std::function<bool(const model::Container&)>& visit) const {
  // Best-first over the heap's tree: the frontier holds indices whose parents were visited; the smallest
  // entry on it is the next in eviction order. Stale entries are skipped but open their children.
  const MinHeap& heap = eviction_[node];
  const auto later = [&](std::uint32_t a, std::uint32_t b) { return heap[a] > heap[b]; };
  walk_.clear();
  if (!heap.empty()) walk_.push_back(0);
  while (!walk_.empty()) {
    std::pop_heap(walk_.begin(), walk_.end(), later);
    const std::uint32_t i = walk_.back();
    walk_.pop_back();
    for (const std::uint32_t child : {2 * i + 1, 2 * i + 2}) {
      if (child >= heap.size()) continue;
      walk_.push_back(child);
      std::push_heap(walk_.begin(), walk_.end(), later);
    }
    if (live(heap[i]) && !visit(slots_[heap[i].id].c)) break;
  }
  return true;
}

std::optional<ContainerId> Cluster::pinned_stem_cell(NodeId node) const {
  for (ContainerId id : stem_cells_[node])
    if (slots_[id].pinned) return id;
  return std::nullopt;
}

int Cluster::stem_cells(NodeId node, model::RuntimeKind runtime, MegaBytes memory_mb) const {
  int n = 0;
  for (ContainerId id : stem_cells_[node]) {
    const model::Container& c = slots_[id].c;
    n += c.runtime == runtime && c.memory_mb == memory_mb;
  }
  return n;
}

double Cluster::memory_balance() const {
  if (nodes_.empty()) return 0;
  double sum = 0, sum_sq = 0;
  for (const auto& n : nodes_) {
    const double f = n.capacity_mb ? static_cast<double>(n.used_mb) / static_cast<double>(n.capacity_mb) : 0;
    sum += f;
    sum_sq += f * f;
  }
  const double count = static_cast<double>(nodes_.size());
  const double mean = sum / count;
  return std::sqrt(std::max(0.0, sum_sq / count - mean * mean));
}

void Cluster::active_memory(double* mean, double* stddev) const {
  *mean = *stddev = 0;
  if (nodes_.empty()) return;
  double sum = 0, sum_sq = 0;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const auto cap = nodes_[i].capacity_mb;
    const double f = cap ? static_cast<double>(busy_mb(static_cast<NodeId>(i))) / static_cast<double>(cap) : 0;
    sum += f;
    sum_sq += f * f;
  }
  const double count = static_cast<double>(nodes_.size());
  *mean = sum / count;
  *stddev = std::sqrt(std::max(0.0, sum_sq / count - *mean * *mean));
}

}  // namespace hearth::sim
