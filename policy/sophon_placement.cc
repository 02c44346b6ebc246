#include "policy/sophon_placement.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace hearth::policy {

SophonPlacement::SophonPlacement(const PolicyContext& ctx, WarmRule warm, ColdRule cold, std::uint32_t sample,
                                 double lambda, Ties ties)
    : warm_(warm), cold_(cold), sample_(sample), lambda_(lambda), ties_(ties), sticky_(ctx), rng_(ctx.seed) {}

bool SophonPlacement::take_tie(model::NodeId candidate, model::NodeId current, std::uint64_t& tied) {
  if (ties_ == Ties::kLowestId) return candidate < current;
  // Reservoir choice: after t tied nodes each has been kept with probability 1/t.
  return std::uniform_int_distribution<std::uint64_t>(0, tied++)(rng_) == 0;
}

model::MegaBytes SophonPlacement::available_mb(const model::ClusterView& view, model::NodeId node) {
  const model::NodeState& s = view.nodes()[node];
  return s.capacity_mb - std::max(view.busy_mb(node), s.reserved_mb);
}

double SophonPlacement::eviction_cost(const model::ClusterView& view, model::NodeId node, model::MegaBytes memory_mb,
                                      double lambda) {
  model::MegaBytes shortfall = memory_mb - view.nodes()[node].free_mb();
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
  if (const auto node = warm(fn, view)) return ++counts_.warm, node;
  ++counts_.cold;
  return cold(fn, view);
}

std::vector<DecisionCount> SophonPlacement::decision_counts() const {
  return {{"warm", counts_.warm},
          {"cold", counts_.cold},
          {"cold_no_candidate", counts_.no_candidate},
          {"cold_no_eviction", counts_.no_eviction},
          {"cold_must_evict", counts_.must_evict},
          {"cold_mc_elsewhere", counts_.mc_elsewhere},
          {"cold_mc_elsewhere_recent", counts_.mc_elsewhere_recent}};
}

std::size_t SophonPlacement::draw_sample() {
  const std::size_t k = sample_ == 0 ? pool_.size() : std::min<std::size_t>(sample_, pool_.size());
  if (k < pool_.size())  // partial Fisher–Yates: pool_[i] becomes a uniform draw from the rest
    for (std::size_t i = 0; i < k; ++i)
      std::swap(pool_[i], pool_[std::uniform_int_distribution<std::size_t>(i, pool_.size() - 1)(rng_)]);
  return k;
}

void SophonPlacement::sort_pool(std::size_t node_count) {
  // Distinct ids below node_count: ascending order is one answer, however found. A comparison sort costs
  // O(h log h) for h holders (a hot function has hundreds); marking them in a bit set and reading it back
  // costs O(h + n/64), cheaper once h is above a few dozen and n/64 below h.
  if (pool_.size() <= 32 || node_count / 64 > pool_.size()) {
    std::sort(pool_.begin(), pool_.end());
    return;
  }
  marks_.assign((node_count + 63) / 64, 0);
  for (const model::NodeId n : pool_) marks_[n / 64] |= std::uint64_t{1} << (n % 64);
  pool_.clear();
  for (std::size_t w = 0; w < marks_.size(); ++w)
    for (std::uint64_t bits = marks_[w]; bits != 0; bits &= bits - 1)
      pool_.push_back(static_cast<model::NodeId>(w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits))));
}

model::NodeId SophonPlacement::most_available(const model::ClusterView& view, std::size_t k) {
  model::NodeId best = pool_[0];
  model::MegaBytes best_mb = available_mb(view, best);
  std::uint64_t ties = 1;
  for (std::size_t i = 1; i < k; ++i) {
    const model::MegaBytes a = available_mb(view, pool_[i]);
    if (a > best_mb) {
      best = pool_[i], best_mb = a, ties = 1;
    } else if (a == best_mb && take_tie(pool_[i], best, ties)) {
      best = pool_[i];
    }
  }
  return best;
}

std::optional<model::NodeId> SophonPlacement::warm(const model::FunctionSpec& fn, const model::ClusterView& view) {
  const auto nodes = view.nodes();
  const auto fits = [&](model::NodeId n) { return nodes[n].healthy && available_mb(view, n) >= fn.memory_mb; };
  if (warm_ == WarmRule::kMaxAvailable) {
    pool_.clear();
    view.for_each_idle_node(fn.id, [&](model::NodeId n) {
      if (fits(n)) pool_.push_back(n);
    });
    if (pool_.empty()) return std::nullopt;
    sort_pool(nodes.size());  // the visit order is the view's; the draw must not depend on it
    return most_available(view, draw_sample());
  }
  holds_.assign(nodes.size(), 0);
  bool any = false;
  view.for_each_idle_node(fn.id, [&](model::NodeId n) {
    if (fits(n)) holds_[n] = 1, any = true;
  });
  if (!any) return std::nullopt;
  const auto n = static_cast<std::uint32_t>(nodes.size());
  std::uint32_t index = 0, step = 1;
  if (!sticky_.over(fn.id, n, &index, &step)) index = 0, step = 1;  // Int.MinValue hash: scan in id order
  for (std::uint32_t probe = 0; probe < n; ++probe, index = (index + step) % n)
    if (holds_[index]) return index;
  return std::nullopt;  // unreachable: the probe visits every node when step is coprime with n
}

std::optional<model::NodeId> SophonPlacement::cold(const model::FunctionSpec& fn, const model::ClusterView& view) {
  const auto nodes = view.nodes();
  pool_.clear();
  for (const model::NodeState& s : nodes)
    if (s.healthy && available_mb(view, s.id) >= fn.memory_mb) pool_.push_back(s.id);
  if (pool_.empty()) {  // nothing fits: the healthy node where the invocation waits least
    for (const model::NodeState& s : nodes)
      if (s.healthy) pool_.push_back(s.id);
    if (pool_.empty()) return std::nullopt;
    ++counts_.no_candidate;
    return most_available(view, pool_.size());
  }
  const std::size_t k = draw_sample();
  const bool must_evict =
      std::any_of(pool_.begin(), pool_.begin() + static_cast<std::ptrdiff_t>(k),
                  [&](model::NodeId n) { return nodes[n].free_mb() < fn.memory_mb; });
  ++(must_evict ? counts_.must_evict : counts_.no_eviction);
  const model::NodeId roomiest = most_available(view, k);
  if (cold_ != ColdRule::kMinCost) return roomiest;
  // MC: the cheapest sampled node; among equal costs the most available; among those, uniformly.
  std::optional<model::NodeId> cheapest;
  double cheapest_cost = std::numeric_limits<double>::infinity();
  model::MegaBytes cheapest_mb = 0;
  std::uint64_t ties = 1;
  for (std::size_t i = 0; i < k; ++i) {
    const model::NodeId n = pool_[i];
    const double cost = eviction_cost(view, n, fn.memory_mb, lambda_);  // NaN and +inf never win
    if (!(cost <= cheapest_cost) || std::isinf(cost)) continue;
    const model::MegaBytes a = available_mb(view, n);
    if (!cheapest || cost < cheapest_cost || a > cheapest_mb) {
      cheapest = n, cheapest_cost = cost, cheapest_mb = a, ties = 1;
    } else if (a == cheapest_mb && take_tie(n, *cheapest, ties)) {
      cheapest = n;
    }
  }
  if (!cheapest) return roomiest;
  if (available_mb(view, *cheapest) < available_mb(view, roomiest)) {
    ++counts_.mc_elsewhere;
    if (eviction_cost(view, roomiest, fn.memory_mb, lambda_) >= std::exp(-lambda_ * 60.0))
      ++counts_.mc_elsewhere_recent;
  }
  return cheapest;
}

}  // namespace hearth::policy
