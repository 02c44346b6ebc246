// HpaScaling: the Kubernetes Horizontal Pod Autoscaler on CPU utilisation, as OpenFaaS on Kubernetes
// runs it (HyperFaaS's baseline, seed 003 Fig. 1), as a ScalingPolicy. A container is a pod with a CPU
// request (= limit) of `cores` cores; its running invocations share them (policy/scaling.h), at most
// `cc` at once (0: unlimited, as OpenFaaS's watchdog forks a process per request).
//   admission (the Kubernetes service): the ready pod with the fewest running invocations among those
//     that can take one (below `cc`); else the invocation waits. A function with no pod at all gets one
//     started at once (OpenFaaS scales from zero on the first request).
//   sync (every `sync`, 15 s): per function with current = ready + starting pods > 0 (0: autoscaling is
//     off, as in Kubernetes), U = mean cores used since the previous sync. With ready pods, the usage
//     ratio r = U / (ready x cores) / target; |r - 1| <= `tolerance`: recommendation = current; scaling up
//     with pods still starting, those count as using nothing: r' = U / (current x cores) / target, and
//     r' <= 1 + tolerance keeps current, else ceil(r' x current); otherwise ceil(r x ready). No ready pod:
//     current. The recommendation is clamped to [`min`, `max`], then stabilised: never above it when
//     scaling up (scale-up window 0), and never below the highest recommendation of the last `down`
//     (300 s) when scaling down; scale-up is limited per `period` (15 s) to the larger of +`up_percent` %
//     and +`up_pods` pods of the count a period ago (Kubernetes' default scale-up policies, selectPolicy
//     Max); scale-down is unlimited (100 % per 15 s).
//   The engine retires idle pods above the desired count (Kubernetes would drain busy ones too); the last
//   pod is left to the keep-alive policy (OpenFaaS's scale to zero).
// Cost: admit O(pods of the function); on_tick O(functions reported x syncs in the down window).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "policy/scaling.h"

namespace hearth::policy {

struct HpaParams {
  double target = 0.8;      // target CPU utilisation (used / requested); Kubernetes' default metric
  double tolerance = 0.1;   // no change while |ratio - 1| <= this
  std::int32_t cores = 1;   // CPU request (= limit) of a pod, cores
  std::int32_t container_concurrency = 0;  // invocations a pod runs at once; 0 = unlimited
  std::int32_t min_replicas = 1, max_replicas = 20;  // OpenFaaS's com.openfaas.scale.min / max defaults
  model::Micros sync_us = model::seconds(15);
  model::Micros down_window_us = model::seconds(300);
  model::Micros up_period_us = model::seconds(15);
  double up_percent = 100;  // scale-up policies: +100 % or +4 pods per period, whichever is more
  std::int32_t up_pods = 4;
};

class HpaScaling final : public ScalingPolicy {
 public:
  explicit HpaScaling(const HpaParams& params);
  std::string_view name() const override { return "hpa"; }
  // Per-function state also grows on demand (ids past the end read as a fresh function).
  void on_function_added(const model::FunctionSpec& fn) override {
    if (state_.size() <= fn.id) state_.resize(fn.id + 1);
  }
  std::int32_t initial_slots(const model::FunctionSpec&) const override;
  std::int32_t container_cores(const model::FunctionSpec&) const override { return params_.cores; }
  bool lends(const ContainerLoad&) const override { return false; }
  Admission admit(const model::FunctionSpec& fn, const FunctionLoad& load, const model::ClusterView& cluster,
                  model::Micros now) override;
  model::Micros tick_interval() const override { return params_.sync_us; }
  std::vector<ScaleTarget> on_tick(std::span<const TickLoad> loads, model::Micros now) override;

  // The recommendation before clamping and stabilisation, for one sync (exposed for tests).
  std::int32_t recommend(const TickLoad& load) const;

 private:
  struct Sample {
    model::Micros at_us;
    std::int32_t replicas;
  };
  struct State {
    std::deque<Sample> recommendations;  // within the down window
    std::deque<Sample> scale_ups;        // replicas added, within the up period
  };
  std::int32_t desired(State& s, const TickLoad& load, model::Micros now);

  HpaParams params_;
  std::vector<State> state_;
};

}  // namespace hearth::policy
