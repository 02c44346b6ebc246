// ClusterView: the read-only picture of the cluster that placement policies decide on.
// Both engines implement it: sim/ from its modelled nodes, live/ from invoker state reports.
// Cost: every accessor is O(1) except the visitors, whose cost each engine states.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "model/container.h"
#include "model/function_spec.h"
#include "model/time.h"

namespace hearth::model {

struct NodeState {
  NodeId id = 0;
  MegaBytes capacity_mb = 0;
  MegaBytes used_mb = 0;      // memory held by all containers (busy, idle, prewarmed, starting)
  // Memory of invocations placed on this node and not yet completed (running, starting or queued):
  // what an OpenWhisk balancer has acquired in its per-invoker memory semaphore.
  MegaBytes reserved_mb = 0;
  std::int32_t cores = 0;
  std::int32_t busy_cores = 0;
  std::int32_t queued = 0;  // invocations waiting on this node
  bool healthy = true;

  MegaBytes free_mb() const { return capacity_mb - used_mb; }
  // Memory not held by running work: what an OpenWhisk-style balancer believes is available,
  // since the invoker evicts idle containers to make room.
  MegaBytes unreserved_mb() const { return capacity_mb - reserved_mb; }
};

class ClusterView {
 public:
  virtual ~ClusterView() = default;
  virtual std::span<const NodeState> nodes() const = 0;
  // Idle (warm, paused or function-specific prewarmed) containers of `fn` on `node`.
  virtual std::int32_t idle_containers(NodeId node, FunctionId fn) const = 0;
  virtual Micros now() const = 0;
  // Memory of `node`'s active containers: those running or starting an invocation (every container's
  // memory but idle ones' and stem cells'). Sophon's "available" memory is capacity − this. O(1) in the
  // simulator and the remote controller; O(containers of the node) in the local dispatcher.
  virtual MegaBytes busy_mb(NodeId node) const = 0;
  // Calls `visit(node)` once per idle container of `fn` (a node holding several is visited several
  // times). The default scans every node with idle_containers(); engines with a per-function index
  // override it to cost O(idle containers of fn).
  virtual void for_each_idle(FunctionId fn, const std::function<void(NodeId)>& visit) const {
    for (const NodeState& s : nodes())
      for (std::int32_t i = idle_containers(s.id, fn); i > 0; --i) visit(s.id);
  }
  // Calls `visit(node)` once per node holding at least one idle container of `fn` (any order). The
  // default dedupes for_each_idle; engines with a per-function node index override it to cost
  // O(nodes holding one).
  virtual void for_each_idle_node(FunctionId fn, const std::function<void(NodeId)>& visit) const {
    std::vector<NodeId> seen;
    for_each_idle(fn, [&](NodeId n) {
      if (std::find(seen.begin(), seen.end(), n) == seen.end()) seen.push_back(n);
    });
    for (NodeId n : seen) visit(n);
  }
  // Calls `visit(i)` for every healthy node nodes()[i], i < limit, whose unreserved_mb() is at least `mb`
  // (i is the node's index in nodes(), its id in both engines), in any order, until `visit` returns false. The default scans those nodes; engines with an index
  // of nodes by unreserved memory override it to cost O((visited + 1) · log nodes).
  virtual void for_each_node_with_room(MegaBytes mb, std::uint32_t limit,
                                       const std::function<bool(NodeId)>& visit) const {
    const auto all = nodes();
    for (std::size_t i = 0; i < std::min<std::size_t>(limit, all.size()); ++i)
      if (all[i].healthy && all[i].unreserved_mb() >= mb && !visit(static_cast<NodeId>(i))) return;
  }
  // Healthy nodes among nodes()[0, limit). The default counts them; engines that keep the count
  // override it to cost O(1) while every node is healthy.
  virtual std::uint32_t healthy_nodes(std::uint32_t limit) const {
    const auto all = nodes();
    std::uint32_t n = 0;
    for (std::size_t i = 0; i < std::min<std::size_t>(limit, all.size()); ++i) n += all[i].healthy;
    return n;
  }
  // Calls `visit(container)` for the containers `node` would evict under memory pressure (its idle
  // ones, and stem cells where the engine evicts those: sim/), in that order (lowest keep-alive
  // priority first), until `visit` returns false. A visited container carries at least function,
  // memory_mb and last_used_us (when it turned idle). Returns false, visiting nothing, if this view
  // does not know the node's eviction order.
  virtual bool for_each_eviction_candidate(NodeId node,
                                           const std::function<bool(const Container&)>& visit) const {
    (void)node;
    (void)visit;
    return false;
  }
};

}  // namespace hearth::model
