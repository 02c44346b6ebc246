#include "policy/simple_placement.h"

namespace hearth::policy {

std::optional<model::NodeId> RandomPlacement::place(const model::Invocation&, const model::FunctionSpec&,
                                                     const model::ClusterView& view) {
  std::uint32_t healthy = 0;
  for (const auto& s : view.nodes()) healthy += s.healthy;
  if (healthy == 0) return std::nullopt;
  std::uint32_t pick = std::uniform_int_distribution<std::uint32_t>(0, healthy - 1)(rng_);
  for (const auto& s : view.nodes()) {
    if (!s.healthy) continue;
    if (pick-- == 0) return s.id;
  }
  return std::nullopt;
}

std::optional<model::NodeId> MaxMemoryPlacement::place(const model::Invocation&, const model::FunctionSpec&,
                                                        const model::ClusterView& view) {
  std::optional<model::NodeId> best;
  model::MegaBytes best_free = 0;
  for (const auto& s : view.nodes()) {
    if (!s.healthy) continue;
    if (!best || s.unreserved_mb() > best_free) {
      best = s.id;
      best_free = s.unreserved_mb();
    }
  }
  return best;
}

}  // namespace hearth::policy
