#include "policy/sticky_max_available_placement.h"

#include <algorithm>

namespace hearth::policy {

StickyMaxAvailablePlacement::StickyMaxAvailablePlacement(const PolicyContext& ctx, double alpha)
    : alpha_(alpha), sticky_(ctx), rng_(ctx.seed) {}

std::optional<model::NodeId> StickyMaxAvailablePlacement::place(const model::Invocation&, const model::FunctionSpec& fn,
                                                                 const model::ClusterView& view) {
  const auto nodes = view.nodes();
  const auto n = static_cast<std::uint32_t>(nodes.size());
  std::uint32_t index = 0, step = 1;
  if (!sticky_.over(fn.id, n, &index, &step)) return std::nullopt;
  std::optional<model::NodeId> best;
  double best_score = 0;
  for (std::uint32_t position = 0; position < n; ++position, index = (index + step) % n) {
    const model::NodeState& s = nodes[index];
    if (!s.healthy || s.capacity_mb <= 0 || s.unreserved_mb() < fn.memory_mb) continue;
    const double d = static_cast<double>(position) / n;
    const double l = static_cast<double>(std::max<model::MegaBytes>(0, s.reserved_mb)) / static_cast<double>(s.capacity_mb);
    const double score = alpha_ * d + (1 - alpha_) * l;
    if (!best || score < best_score) {  // strict: ties keep the earlier position
      best = index;
      best_score = score;
    }
  }
  if (best) return best;
  return random_healthy_node(view, n, rng_);
}

}  // namespace hearth::policy
