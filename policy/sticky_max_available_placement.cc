#include "policy/sticky_max_available_placement.h"

#include <algorithm>

namespace hearth::policy {

StickyMaxAvailablePlacement::StickyMaxAvailablePlacement(const PolicyContext& ctx, double alpha)
    : alpha_(alpha), sticky_(ctx) {}

std::optional<model::NodeId> StickyMaxAvailablePlacement::place(const model::Invocation&, const model::FunctionSpec& fn,
                                                                 const model::ClusterView& view) {
  const auto nodes = view.nodes();
  const auto n = static_cast<std::uint32_t>(nodes.size());
  if (n == 0) return std::nullopt;
  std::optional<model::NodeId> best;
  double best_score = 0;
  std::uint32_t index = sticky_.home(fn.id) % n;
  for (std::uint32_t position = 0; position < n; ++position, index = (index + sticky_.step(fn.id)) % n) {
    const model::NodeState& s = nodes[index];
    if (!s.healthy || s.capacity_mb <= 0) continue;
    const double d = static_cast<double>(position) / n;
    const double l = static_cast<double>(std::max<model::MegaBytes>(0, s.reserved_mb)) / static_cast<double>(s.capacity_mb);
    const double score = alpha_ * d + (1 - alpha_) * l;
    if (!best || score < best_score) {  // strict: ties keep the earlier position
      best = index;
      best_score = score;
    }
  }
  return best;
}

}  // namespace hearth::policy
