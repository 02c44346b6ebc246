#include "policy/scorpius_placement.h"

#include "policy/server_lookup.h"

namespace hearth::policy {

std::optional<model::NodeId> ScorpiusPlacement::place(const model::Invocation& inv, const model::FunctionSpec& fn,
                                                      const model::ClusterView& view) {
  (void)inv;
  const auto nodes = view.nodes();
  if (nodes.empty()) return std::nullopt;
  const auto overloaded = [&](std::uint32_t k) {
    const model::NodeState& s = nodes[k];
    return !s.healthy || s.unreserved_mb() < fn.memory_mb;
  };
  std::optional<model::NodeId> warm;
  view.for_each_idle_node(fn.id, [&](model::NodeId n) {
    if (!overloaded(n) && (!warm || n < *warm)) warm = n;
  });
  if (warm) {
    ++warm_;
    return warm;
  }
  if (status_.code_servers && fn.id < status_.code_servers->size())
    for (std::uint32_t k : (*status_.code_servers)[fn.id])
      if (k < nodes.size() && !overloaded(k)) {
        ++code_;
        return k;
      }
  if (status_.matrix && status_.matrix->servers() == nodes.size() && status_.imports && fn.id < status_.imports->size()) {
    if (auto r = lookup_server(*status_.matrix, (*status_.imports)[fn.id], status_.size_kb, overloaded,
                               static_cast<std::uint32_t>(fn.id % nodes.size()))) {
      ++lookup_;
      return r->server;
    }
  }
  std::optional<model::NodeId> best;
  for (const model::NodeState& s : nodes)
    if (s.healthy && (!best || s.unreserved_mb() > nodes[*best].unreserved_mb())) best = s.id;
  if (best) ++overloaded_;
  return best;
}

std::vector<DecisionCount> ScorpiusPlacement::decision_counts() const {
  return {{"warm", warm_}, {"code-server", code_}, {"lookup", lookup_}, {"all-overloaded", overloaded_}};
}

}  // namespace hearth::policy
