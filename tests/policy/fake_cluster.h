// Test helper: a ClusterView over explicit node states, idle-container counts and (optionally) each
// node's eviction order.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "model/cluster_view.h"
#include "model/container.h"

namespace hearth::policy::testing {

class FakeCluster final : public model::ClusterView {
 public:
  explicit FakeCluster(std::uint32_t n, model::MegaBytes memory = 1000) {
    for (std::uint32_t i = 0; i < n; ++i) {
      model::NodeState s;
      s.id = i;
      s.capacity_mb = memory;
      s.cores = 4;
      nodes_.push_back(s);
    }
  }
  std::span<const model::NodeState> nodes() const override { return nodes_; }
  std::int32_t idle_containers(model::NodeId node, model::FunctionId fn) const override {
    auto it = idle_.find({node, fn});
    return it == idle_.end() ? 0 : it->second;
  }
  model::Micros now() const override { return now_; }
  // Busy memory as set_busy gave it; by default used − the memory of the node's victims (its idle
  // containers), as a consistent cluster would report.
  model::MegaBytes busy_mb(model::NodeId node) const override {
    if (const auto it = busy_.find(node); it != busy_.end()) return it->second;
    model::MegaBytes busy = nodes_[node].used_mb;
    if (const auto it = victims_.find(node); it != victims_.end())
      for (const model::Container& c : it->second) busy -= c.memory_mb;
    return busy;
  }
  void set_busy(model::NodeId node, model::MegaBytes mb) { busy_[node] = mb; }
  bool for_each_eviction_candidate(model::NodeId node,
                                   const std::function<bool(const model::Container&)>& visit) const override {
    if (!knows_eviction_order_) return false;
    const auto it = victims_.find(node);
    if (it != victims_.end())
      for (const model::Container& c : it->second)
        if (!visit(c)) break;
    return true;
  }

  model::NodeState& node(model::NodeId i) { return nodes_[i]; }
  void set_idle(model::NodeId node, model::FunctionId fn, int n) { idle_[{node, fn}] = n; }
  void set_now(model::Micros t) { now_ = t; }
  // Appends an idle container to `node`'s eviction order: `memory` MB, idle since `since_us`.
  void add_victim(model::NodeId node, model::MegaBytes memory, model::Micros since_us) {
    model::Container c;
    c.node = node;
    c.function = 0;
    c.memory_mb = memory;
    c.last_used_us = since_us;
    victims_[node].push_back(c);
    knows_eviction_order_ = true;
  }
  void set_knows_eviction_order(bool known) { knows_eviction_order_ = known; }

 private:
  std::vector<model::NodeState> nodes_;
  std::map<std::pair<model::NodeId, model::FunctionId>, int> idle_;
  std::map<model::NodeId, std::vector<model::Container>> victims_;
  std::map<model::NodeId, model::MegaBytes> busy_;
  bool knows_eviction_order_ = false;
  model::Micros now_ = 0;
};

// An idle container of function `f` on `node` holding `memory` MB (what a keep-alive policy is shown).
inline model::Container container(model::NodeId node, model::FunctionId f, model::MegaBytes memory) {
  model::Container c;
  c.node = node;
  c.function = f;
  c.memory_mb = memory;
  return c;
}

inline model::FunctionSpec fn(model::FunctionId id, model::MegaBytes memory = 100, model::Micros cold_us = 0,
                              model::AppId app = 0) {
  model::FunctionSpec f;
  f.id = id;
  f.app = app;
  f.name = "fn" + std::to_string(id);
  f.memory_mb = memory;
  f.cold_start_us = cold_us;
  return f;
}

}  // namespace hearth::policy::testing
