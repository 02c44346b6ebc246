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
  if (position_term_.size() != n) {  // α·d by position: the same product the score always took
    position_term_.resize(n);
    for (std::uint32_t position = 0; position < n; ++position)
      position_term_[position] = alpha_ * (static_cast<double>(position) / n);
  }
  std::optional<model::NodeId> best;
  double best_score = 0;
  // score = α·d + (1 − α)·l >= α·d (l >= 0, and rounding keeps a + b >= a for b >= 0), and α·d does not
  // decrease along the sequence: once it reaches the best score, no later node wins (ties keep the earlier).
  for (std::uint32_t position = 0; position < n; ++position) {
    const double d_term = position_term_[position];
    if (best && d_term >= best_score) break;
    const model::NodeState& s = nodes[index];
    if (s.healthy && s.capacity_mb > 0 && s.unreserved_mb() >= fn.memory_mb) {
      const double l =
          static_cast<double>(std::max<model::MegaBytes>(0, s.reserved_mb)) / static_cast<double>(s.capacity_mb);
      const double score = d_term + (1 - alpha_) * l;
      if (!best || score < best_score) {  // strict: ties keep the earlier position
        best = index;
        best_score = score;
      }
    }
    index += step;  // step < n (or n = 1): one subtraction instead of a division
    if (index >= n) index -= n;
  }
  if (best) return best;
  return random_healthy_node(view, n, rng_);
}

}  // namespace hearth::policy
