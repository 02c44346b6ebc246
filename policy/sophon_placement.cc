#include "policy/sophon_placement.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hearth::policy {

SophonPlacement::SophonPlacement(const PolicyContext& ctx, WarmRule warm, ColdRule cold, std::uint32_t sample,
                                 double lambda)
    : warm_(warm), cold_(cold), sample_(sample), lambda_(lambda), sticky_(ctx), rng_(ctx.seed) {}

model::MegaBytes SophonPlacement::available_mb(const model::NodeState& s) {
  return s.capacity_mb - std::max(s.used_mb, s.reserved_mb);
}

double SophonPlacement::eviction_cost(const model::ClusterView& view, model::NodeId node, model::MegaBytes memory_mb,
                                      double lambda) {
  model::MegaBytes shortfall = memory_mb - available_mb(view.nodes()[node]);
  if (shortfall <= 0) return 0;
  double cost = 0;
  const model::Micros now = view.now();
  const bool known = view.for_each_eviction_candidate(node, [&](const model::Container& c) {
    const double idle_s = static_cast<double>(std::max<model::Micros>(0, now - c.last_used_us)) / 1e6;
    cost += std::exp(-lambda * idle_s);
    shortfall -= c.memory_mb;
    return shortfall > 0;
  });
  if (!known) return std::numeric_limits<double>::quiet_NaN();
  return shortfall > 0 ? std::numeric_limits<double>::infinity() : cost;
}

std::optional<model::NodeId> SophonPlacement::place(const model::Invocation&, const model::FunctionSpec& fn,
                                                     const model::ClusterView& view) {
  if (const auto node = warm(fn, view)) return node;
  return cold(fn, view);
}

std::optional<model::NodeId> SophonPlacement::warm(const model::FunctionSpec& fn, const model::ClusterView& view) {
  const auto nodes = view.nodes();
  if (warm_ == WarmRule::kMaxAvailable) {
    std::optional<model::NodeId> best;
    view.for_each_idle_node(fn.id, [&](model::NodeId n) {
      const model::NodeState& s = nodes[n];
      if (!s.healthy) return;
      if (!best || available_mb(s) > available_mb(nodes[*best]) ||
          (available_mb(s) == available_mb(nodes[*best]) && n < *best))
        best = n;
    });
    return best;
  }
  holds_.assign(nodes.size(), 0);
  bool any = false;
  view.for_each_idle_node(fn.id, [&](model::NodeId n) {
    if (nodes[n].healthy) holds_[n] = 1, any = true;
  });
  if (!any) return std::nullopt;
  const auto n = static_cast<std::uint32_t>(nodes.size());
  std::uint32_t index = sticky_.home(fn.id) % n;
  for (std::uint32_t probe = 0; probe < n; ++probe, index = (index + sticky_.step(fn.id)) % n)
    if (holds_[index]) return index;
  return std::nullopt;  // unreachable: the probe visits every node when step is coprime with n
}

std::optional<model::NodeId> SophonPlacement::cold(const model::FunctionSpec& fn, const model::ClusterView& view) {
  const auto nodes = view.nodes();
  pool_.clear();
  for (const model::NodeState& s : nodes)
    if (s.healthy) pool_.push_back(s.id);
  if (pool_.empty()) return std::nullopt;
  const std::size_t k = sample_ == 0 ? pool_.size() : std::min<std::size_t>(sample_, pool_.size());
  std::optional<model::NodeId> best;       // MA's choice
  std::optional<model::NodeId> cheapest;   // MC's choice
  double cheapest_cost = std::numeric_limits<double>::infinity();
  const auto roomier = [&](model::NodeId a, model::NodeId b) {
    return available_mb(nodes[a]) > available_mb(nodes[b]) || (available_mb(nodes[a]) == available_mb(nodes[b]) && a < b);
  };
  for (std::size_t i = 0; i < k; ++i) {
    if (k < pool_.size())  // partial Fisher–Yates: pool_[i] becomes a uniform draw from the rest
      std::swap(pool_[i], pool_[std::uniform_int_distribution<std::size_t>(i, pool_.size() - 1)(rng_)]);
    const model::NodeId n = pool_[i];
    if (!best || roomier(n, *best)) best = n;
    if (cold_ != ColdRule::kMinCost) continue;
    const double cost = eviction_cost(view, n, fn.memory_mb, lambda_);  // NaN and +inf never win
    if (cost < cheapest_cost || (cost == cheapest_cost && cheapest && roomier(n, *cheapest))) {
      cheapest = n;
      cheapest_cost = cost;
    }
  }
  return cheapest ? cheapest : best;
}

}  // namespace hearth::policy
