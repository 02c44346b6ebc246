// ColdContention: cold starts slow each other down on a node. A container creation that begins while
// N-1 others are still in progress on the same node costs base · (1 + k·(N−1)) + d·(N−1) instead of
// base: k scales the whole cold start, d adds a fixed time per concurrent creation (both calibrated from
// Hearth's own sandboxes: docs/calibration.md, "Cold-start contention"). The cost is fixed when the
// creation begins (creations already in progress are not stretched by later ones).
// k = d = 0 disables the model at no cost. Per node, a min-heap of the end instants of creations in
// progress, cleaned lazily: begin() costs O(log c) amortised for c creations in progress on the node.
#pragma once

#include <cstdint>
#include <vector>

#include "model/container.h"
#include "model/time.h"

namespace hearth::sim {

class ColdContention {
 public:
  // Throws std::invalid_argument if k or d is negative or k not finite.
  ColdContention(std::size_t nodes, double k, model::Micros d_us);

  // A creation of `base_us` begins on `node` at `now`: returns its cost and counts it in progress until
  // now + cost.
  model::Micros begin(model::NodeId node, model::Micros now, model::Micros base_us);
  // Creations in progress on `node` at `now` (ended ones are dropped).
  std::int32_t in_progress(model::NodeId node, model::Micros now);
  bool enabled() const { return k_ > 0 || d_us_ > 0; }

 private:
  double k_;
  model::Micros d_us_;
  std::vector<std::vector<model::Micros>> ends_;  // node → min-heap of end instants
};

}  // namespace hearth::sim
