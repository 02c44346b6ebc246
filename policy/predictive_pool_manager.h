// PredictivePoolManager: what Incendio's and HotC's pool managers share: an arrival predictor they own
// and feed, a Function Info Table kept from the engine's reports (policy/function_info_table.h), the
// functions' specs, and each function's requests in flight, split into waiting (arrived, not started:
// queued for a container or for CPU) and running (started, not completed: they hold a busy container).
// Subclasses decide on_tick.
// Arrivals count as waiting, on_started moves one to running, completions leave running (or waiting, for
// an engine that never calls on_started), drops leave waiting; every count is clamped at 0.
// Deterministic; no I/O. Cost: the hooks O(1) plus the predictor's.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "policy/arrival_predictor.h"
#include "policy/function_info_table.h"
#include "policy/pool_manager.h"

namespace hearth::policy {

class PredictivePoolManager : public PoolManager {
 public:
  PredictivePoolManager(std::unique_ptr<ArrivalPredictor> predictor, model::Micros interval_us)
      : predictor_(std::move(predictor)), interval_us_(interval_us) {}
  model::Micros tick_interval() const override { return interval_us_; }
  void on_function_added(const model::FunctionSpec& fn) override;
  void on_arrival(const model::Invocation& inv, model::Micros now) override;
  void on_completed(const model::Invocation& inv, model::StartKind kind, model::Micros startup_us,
                    model::Micros exec_us, model::Micros now) override;
  void on_started(const model::Invocation& inv, model::Micros now) override;
  void on_dropped(const model::Invocation& inv, model::Micros now) override;
  void on_terminated(model::FunctionId fn, model::Micros term_us) override;
  void on_resources(model::FunctionId fn, double cpu_cores, model::MegaBytes memory_mb, double io_share) override;

  void prefetch_arrival(model::FunctionId fn) const override {
    if (fn < in_flight_.size()) __builtin_prefetch(&in_flight_[fn]);
    table_.prefetch_arrival(fn);
    predictor_->prefetch(fn);
  }
  const FunctionInfoTable& table() const { return table_; }
  const ArrivalPredictor& predictor() const { return *predictor_; }

 protected:
  // The functions added so far, by id (entries of ids never added have known == false).
  struct Tracked {
    model::FunctionSpec spec;
    bool known = false;
  };
  const std::vector<Tracked>& functions() const { return functions_; }
  double predict(model::FunctionId fn, model::Micros now) { return predictor_->predict_next_minute(fn, now); }
  // fn's requests running (holding a busy container) and waiting (arrived, not started), capped at 2^31−1.
  std::int32_t running(model::FunctionId fn) const;
  std::int32_t waiting(model::FunctionId fn) const;
  // max(1, ⌈arrivals · exec / 60 s⌉): the containers `arrivals` requests a minute of `exec` each keep busy
  // at once (Little's law), at least one; capped at 10^6.
  static std::int32_t needed_containers(double arrivals, model::Micros exec_us);

 private:
  Tracked& at(model::FunctionId fn);
  // fn's requests in flight, apart from its spec: the hooks touch these 16 bytes, not the spec's record
  // (issue 15: at 50,000 functions each is a cache miss).
  struct InFlight {
    std::int64_t waiting = 0;
    std::int64_t running = 0;
  };
  InFlight& in_flight(model::FunctionId fn);

  std::unique_ptr<ArrivalPredictor> predictor_;
  model::Micros interval_us_;
  FunctionInfoTable table_;
  std::vector<Tracked> functions_;
  std::vector<InFlight> in_flight_;
};

}  // namespace hearth::policy
