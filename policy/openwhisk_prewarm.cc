#include "policy/openwhisk_prewarm.h"

#include <algorithm>

namespace hearth::policy {

OpenWhiskPrewarm::OpenWhiskPrewarm(std::uint32_t nodes, std::vector<StemCellConfig> configs, model::Micros interval_us)
    : nodes_(nodes), configs_(std::move(configs)), interval_us_(interval_us), cold_starts_(nodes * configs_.size(), 0) {}

void OpenWhiskPrewarm::on_start(const model::Container& c, model::StartKind kind, model::Micros) {
  if (kind != model::StartKind::kCold || c.node >= nodes_) return;
  for (std::size_t i = 0; i < configs_.size(); ++i) {
    if (configs_[i].runtime == c.runtime && c.memory_mb <= configs_[i].memory_mb) {
      ++cold_starts_[c.node * configs_.size() + i];
      return;
    }
  }
}

std::vector<PrewarmTarget> OpenWhiskPrewarm::on_tick(const model::ClusterView& view, model::Micros) {
  std::vector<PrewarmTarget> targets;
  for (const model::NodeState& n : view.nodes()) {
    if (!n.healthy || n.id >= nodes_) continue;
    for (std::size_t i = 0; i < configs_.size(); ++i) {
      const StemCellConfig& c = configs_[i];
      int& cold = cold_starts_[n.id * configs_.size() + i];
      const int desired = first_tick_ ? c.initial_count
                                      : std::min(std::max(c.min_count, (cold / std::max(1, c.threshold)) * c.increment),
                                                 c.max_count);
      cold = 0;
      targets.push_back(PrewarmTarget{n.id, c.runtime, c.memory_mb, desired, c.ttl_us});
    }
  }
  first_tick_ = false;
  return targets;
}

}  // namespace hearth::policy
