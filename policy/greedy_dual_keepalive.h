// FaasCache's Greedy-Dual keep-alive (Fuerst & Sharma, ASPLOS'21).
// priority = clock + frequency × cost / size, with cost = the cold-start time a hit saves
// (FunctionSpec::cold_start_us, in ms: Maximum − Average under the FaasCache cold model) and size = the
// container's memory in MB. frequency = invocations of the function so far (counted on arrival, shared by
// all its containers). Each node has its own clock: it becomes the priority of the container last
// evicted under memory pressure. No expiry: containers leave only under pressure.
// Cost: O(1) per call; memory O(functions + nodes).
#pragma once

#include <cstdint>
#include <vector>

#include "policy/keepalive.h"
#include "policy/registry.h"

namespace hearth::policy {

class GreedyDualKeepAlive final : public KeepAlivePolicy {
 public:
  explicit GreedyDualKeepAlive(const PolicyContext& ctx) : clock_(ctx.node_count, 0) {
    for (const model::FunctionSpec& f : ctx.functions) on_function_added(f);
  }
  std::string_view name() const override { return "greedy-dual"; }
  // A new function starts at frequency 0; the others' frequencies and the clocks are kept.
  void on_function_added(const model::FunctionSpec& fn) override {
    if (frequency_.size() <= fn.id) frequency_.resize(fn.id + 1, 0);
  }
  void on_arrival(const model::FunctionSpec& fn, model::Micros) override { ++frequency_[fn.id]; }
  IdleDecision on_idle(const model::Container& c, const model::FunctionSpec& fn, model::Micros) override {
    IdleDecision d;
    d.priority = priority(c.node, fn, c.memory_mb);
    return d;
  }
  void on_evict(const model::Container& c, bool pressure, model::Micros) override {
    if (pressure && c.priority > clock_[c.node]) clock_[c.node] = c.priority;
  }

  double priority(model::NodeId node, const model::FunctionSpec& fn, model::MegaBytes memory_mb) const {
    const double cost_ms = static_cast<double>(fn.cold_start_us) / model::kMicrosPerMilli;
    return clock_[node] + static_cast<double>(frequency_[fn.id]) * cost_ms /
                              static_cast<double>(memory_mb > 0 ? memory_mb : 1);
  }
  double clock(model::NodeId node) const { return clock_[node]; }
  std::uint64_t frequency(model::FunctionId fn) const { return frequency_[fn]; }

 private:
  std::vector<std::uint64_t> frequency_;  // by function id
  std::vector<double> clock_;             // by node: per node count, fixed at construction
};

}  // namespace hearth::policy
