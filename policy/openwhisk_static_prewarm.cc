#include "policy/openwhisk_static_prewarm.h"

#include <algorithm>

namespace hearth::policy {

OpenWhiskStaticPrewarm::OpenWhiskStaticPrewarm(std::vector<model::RuntimeKind> runtimes, model::MegaBytes memory_mb,
                                               int count, model::Micros interval_us)
    : runtimes_(std::move(runtimes)), memory_mb_(memory_mb), count_(count), interval_us_(interval_us) {}

PrewarmTarget OpenWhiskStaticPrewarm::target(model::NodeId node, model::RuntimeKind runtime) const {
  PrewarmTarget t;
  t.node = node;
  t.runtime = runtime;
  t.memory_mb = memory_mb_;
  t.desired = count_;
  t.ttl_us = model::kNever;
  t.pinned = true;
  return t;
}

std::vector<PrewarmTarget> OpenWhiskStaticPrewarm::on_tick(const model::ClusterView& view, model::Micros) {
  std::vector<PrewarmTarget> targets;
  for (const model::NodeState& n : view.nodes()) {
    if (!n.healthy) continue;
    for (model::RuntimeKind r : runtimes_) targets.push_back(target(n.id, r));
  }
  return targets;
}

std::optional<PrewarmTarget> OpenWhiskStaticPrewarm::on_use(const model::Container& used, model::Micros) {
  if (used.memory_mb != memory_mb_ || std::find(runtimes_.begin(), runtimes_.end(), used.runtime) == runtimes_.end())
    return std::nullopt;
  return target(used.node, used.runtime);
}

}  // namespace hearth::policy
