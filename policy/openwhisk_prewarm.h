// OpenWhisk's reactive stem-cell prewarming. For each node and each stem-cell config (runtime, memory),
// every `interval` (1 min):
//   desired = min(max(minCount, (coldStarts / threshold) × increment), maxCount)     (integer division)
// where coldStarts counts the node's cold starts in the last interval of functions of that runtime
// needing ≤ the config's memory. At time 0 desired = initialCount. Unused stem cells expire after `ttl`.
// Defaults follow OpenWhisk's runtimes.json stem cell for nodejs: initialCount 2, memory 256 MB,
// reactive {minCount 1, maxCount 4, ttl 2 minutes, threshold 1, increment 1}; Hearth keeps one such
// config per runtime listed in `runtimes` (default nodejs+python).
// Cost: O(nodes × configs) per tick, O(configs) per start.
#pragma once

#include <cstdint>
#include <vector>

#include "policy/prewarm.h"
#include "policy/registry.h"

namespace hearth::policy {

struct StemCellConfig {
  model::RuntimeKind runtime = model::RuntimeKind::kNodejs;
  model::MegaBytes memory_mb = 256;
  int initial_count = 2;
  int min_count = 1;
  int max_count = 4;
  int threshold = 1;
  int increment = 1;
  model::Micros ttl_us = 2 * model::kMicrosPerMinute;
};

class OpenWhiskPrewarm final : public PrewarmPolicy {
 public:
  OpenWhiskPrewarm(std::uint32_t nodes, std::vector<StemCellConfig> configs, model::Micros interval_us);
  std::string_view name() const override { return "openwhisk"; }
  model::Micros tick_interval() const override { return interval_us_; }
  void on_start(const model::Container& c, model::StartKind kind, model::Micros now) override;
  std::vector<PrewarmTarget> on_tick(const model::ClusterView& view, model::Micros now) override;

 private:
  std::uint32_t nodes_;
  std::vector<StemCellConfig> configs_;
  model::Micros interval_us_;
  std::vector<int> cold_starts_;  // [node * configs + config], reset every tick
  bool first_tick_ = true;
};

}  // namespace hearth::policy
