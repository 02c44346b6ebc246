// KnativeScaling: Knative Serving's KPA autoscaler with its activator, as a ScalingPolicy.
//   admission (activator): the ready container with the fewest running invocations among those below
//     their containerConcurrency `cc` on a node with a free core; else the invocation is buffered. A
//     function with no container at all gets one started at once (scale from zero).
//   tick (autoscaler, every `tick`): per function, mean concurrency (running + buffered) over the
//     stable window (`stable`, 60 s) and the panic window (`panic`, 6 s) of per-tick means;
//     desired_stable = ceil(stable / target), desired_panic = ceil(panic / target). Panic starts when
//     panic / target >= threshold% x max(1, ready) (200 %: twice the ready capacity) and ends once it has
//     not been re-triggered for a stable window; while panicking desired = max(desired_panic, the highest
//     desired since panic began, containers alive): it never scales down. Otherwise desired =
//     max(desired_stable, floor(ready / scale_down_rate)); a desired of 0 is held at 1 until it has been 0
//     for `grace` (scale-to-zero grace period).
// Cost: admit O(containers of the function); on_tick O(functions reported x window ticks).
#pragma once

#include <cstdint>
#include <vector>

#include "policy/concurrency_window.h"
#include "policy/scaling.h"

namespace hearth::policy {

struct KnativeParams {
  double target = 10;                 // target concurrency per container
  std::int32_t container_concurrency = 10;  // hard limit per container (Knative containerConcurrency)
  model::Micros stable_window_us = model::seconds(60);
  model::Micros panic_window_us = model::seconds(6);
  double panic_threshold = 2.0;       // 200 %
  model::Micros tick_us = model::seconds(2);
  model::Micros scale_to_zero_grace_us = model::seconds(30);
  double max_scale_down_rate = 2.0;
};

class KnativeScaling final : public ScalingPolicy {
 public:
  explicit KnativeScaling(const KnativeParams& params);
  std::string_view name() const override { return "knative"; }
  // Per-function state also grows on demand (ids past the end read as a fresh function).
  void on_function_added(const model::FunctionSpec& fn) override {
    if (state_.size() <= fn.id) state_.resize(fn.id + 1);
  }
  std::int32_t initial_slots(const model::FunctionSpec&) const override { return params_.container_concurrency; }
  Admission admit(const model::FunctionSpec& fn, const FunctionLoad& load, const model::ClusterView& cluster,
                  model::Micros now) override;
  model::Micros tick_interval() const override { return params_.tick_us; }
  std::vector<ScaleTarget> on_tick(std::span<const TickLoad> loads, model::Micros now) override;

  // For tests: whether `fn` is in panic mode after the last tick.
  bool panicking(model::FunctionId fn) const { return fn < state_.size() && state_[fn].panicking; }

 private:
  struct State {
    bool panicking = false;
    model::Micros panic_refreshed_us = 0;  // last tick over the panic threshold
    std::int32_t panic_max_desired = 0;
    model::Micros zero_since_us = model::kNever;
  };
  KnativeParams params_;
  std::size_t stable_ticks_, panic_ticks_;
  ConcurrencyWindows windows_;
  std::vector<State> state_;
};

}  // namespace hearth::policy
