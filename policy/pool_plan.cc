#include "policy/pool_plan.h"

#include <algorithm>

namespace hearth::policy {

PoolPlan::PoolPlan(const model::ClusterView& view) : view_(view) {
  for (const model::NodeState& n : view.nodes()) free_mb_.push_back(n.healthy ? n.free_mb() : 0);
}

PoolAction& PoolPlan::action(model::FunctionId fn, model::NodeId node) {
  PoolAction& a = actions_[{fn, node}];
  a.function = fn;
  a.node = node;
  return a;
}

std::int32_t PoolPlan::terminating(model::FunctionId fn, model::NodeId node) const {
  const auto it = actions_.find({fn, node});
  return it == actions_.end() ? 0 : it->second.terminate;
}

std::int32_t PoolPlan::idle(model::FunctionId fn) const {
  std::int32_t n = 0;
  view_.for_each_idle_node(fn, [&](model::NodeId node) {
    n += view_.idle_containers(node, fn) - terminating(fn, node);
  });
  return n;
}

std::int32_t PoolPlan::prewarm(model::FunctionId fn, model::MegaBytes memory_mb, std::int32_t count) {
  const auto nodes = view_.nodes();
  std::int32_t placed = 0;
  for (; placed < count; ++placed) {
    std::size_t best = free_mb_.size();
    for (std::size_t i = 0; i < free_mb_.size(); ++i)
      if (nodes[i].healthy && free_mb_[i] >= memory_mb && (best == free_mb_.size() || free_mb_[i] > free_mb_[best]))
        best = i;
    if (best == free_mb_.size()) break;
    free_mb_[best] -= memory_mb;
    ++action(fn, nodes[best].id).prewarm;
  }
  return placed;
}

void PoolPlan::prewarm_ranked(std::vector<PrewarmWish> wishes) {
  std::sort(wishes.begin(), wishes.end(), [](const PrewarmWish& a, const PrewarmWish& b) {
    return a.rank != b.rank ? a.rank > b.rank : a.function < b.function;
  });
  for (const PrewarmWish& w : wishes) prewarm(w.function, w.memory_mb, w.count);
}

std::int32_t PoolPlan::terminate(model::FunctionId fn, std::int32_t count) {
  // (free memory, node id, idle there) of the nodes holding idle containers of fn, least free first.
  struct Holder {
    model::MegaBytes free_mb;
    model::NodeId node;
    std::int32_t idle;
  };
  std::vector<Holder> holders;
  const auto nodes = view_.nodes();
  view_.for_each_idle_node(fn, [&](model::NodeId node) {
    const std::int32_t idle = view_.idle_containers(node, fn) - terminating(fn, node);
    model::MegaBytes free = 0;
    for (const model::NodeState& s : nodes)
      if (s.id == node) free = s.free_mb();
    if (idle > 0) holders.push_back({free, node, idle});
  });
  std::sort(holders.begin(), holders.end(), [](const Holder& a, const Holder& b) {
    return a.free_mb != b.free_mb ? a.free_mb < b.free_mb : a.node < b.node;
  });
  std::int32_t done = 0;
  for (const Holder& h : holders) {
    if (done >= count) break;
    const std::int32_t n = std::min(h.idle, count - done);
    action(fn, h.node).terminate += n;
    done += n;
  }
  return done;
}

std::vector<PoolAction> PoolPlan::take() {
  std::vector<PoolAction> out;
  out.reserve(actions_.size());
  for (auto& [key, a] : actions_)
    if (a.prewarm > 0 || a.terminate > 0) out.push_back(a);
  actions_.clear();
  return out;
}

}  // namespace hearth::policy
