// OpenWhisk's static stem cells as of 2020 (the Sophon chapter's OpenWhisk, commit 18bbac5): every node
// keeps `count` (2) stem cells of each runtime in `runtimes` (nodejs) with `memory` (256 MB), as
// runtimes.json's stemCells {count 2, memory 256 MB} for the default Node.js kind. Rules, each cited in
// docs/policies.md:
//   - a stem cell serves an invocation only if its runtime AND memory equal the function's
//     (ContainerPool.takePrewarmContainer matches kind and memory);
//   - a taken stem cell is replaced at once (takePrewarmContainer starts a new one as it hands one out);
//   - stem cells are never evicted (ContainerPool.remove only considers the free pool) and never expire.
// Hearth's engines count a stem cell's memory as used (OpenWhisk leaves prewarmed containers out of the
// pool's user memory): a replacement that does not fit waits for the next tick (`interval`, 1 min), and
// the simulator destroys a stem cell only when a run cannot fit even after evicting every idle container
// (where OpenWhisk's stem cells, outside the pool's memory, would not have blocked it).
// Cost: O(nodes × runtimes) per tick, O(1) per use.
#pragma once

#include <cstdint>
#include <vector>

#include "policy/prewarm.h"

namespace hearth::policy {

class OpenWhiskStaticPrewarm final : public PrewarmPolicy {
 public:
  OpenWhiskStaticPrewarm(std::vector<model::RuntimeKind> runtimes, model::MegaBytes memory_mb, int count,
                         model::Micros interval_us);
  std::string_view name() const override { return "openwhisk-static"; }
  model::Micros tick_interval() const override { return interval_us_; }
  std::vector<PrewarmTarget> on_tick(const model::ClusterView& view, model::Micros now) override;
  std::optional<PrewarmTarget> on_use(const model::Container& used, model::Micros now) override;
  bool exact_memory() const override { return true; }

 private:
  PrewarmTarget target(model::NodeId node, model::RuntimeKind runtime) const;

  std::vector<model::RuntimeKind> runtimes_;
  model::MegaBytes memory_mb_;
  int count_;
  model::Micros interval_us_;
};

}  // namespace hearth::policy
