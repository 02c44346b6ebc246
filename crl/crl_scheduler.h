// CrlScheduler: Incendio's learned request scheduler (`crl:model=DIR`, seed 002 §VI-C, Algorithm 1's
// PREDICTION), a policy::RequestScheduler (policy/request_scheduler.h) over a trained CrlModel.
// Priorities are Incendio's (policy/priority_model.h, the spec the model was trained with) over the
// scheduler's own Function Info Table (policy/function_info_table.h), fed by the engine's hooks exactly as
// IncendioScheduler (policy/incendio_scheduler.h) feeds its own: CRL and greedy rank by the same numbers.
// At each select():
//   1. the environment: the arrival vector of the last complete minute seen (on_arrival; the current
//      minute's while there is none), normalised as in training, picks the nearest centroid's network;
//   2. the pending requests of the model's functions form an FpsInstance (per slot: pending count, busy =
//      some container of the function runs now; sizes from the requests themselves, priority = priority()
//      of the function now) under the capacity given;
//   3. decision kStepwise (Algorithm 1 as written): greedy argmax of Q (the environment network's
//      DenseNetwork copy, crl/dense_network.h) over the valid actions (crl/fps_episode.h: never a start
//      that does not fit) until no start is valid, one forward pass per action; each start takes that
//      function's oldest undecided request; a wait leaves them.
//      decision kOnePass: one forward pass on the initial state scores every action; a busy slot whose
//      wait Q exceeds its start Q waits; the other slots, by their start Q (higher first), start their
//      requests oldest first while they fit;
//   4. requests of functions the model does not know then start, oldest first, each that still fits.
// Never returns a set that exceeds the capacity given. Deterministic. Cost: stepwise one forward pass per
// action taken (≤ started + waited requests), one-pass exactly one, plus O(n + F log F) per select.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "crl/crl_decision.h"
#include "crl/crl_model.h"
#include "crl/dense_network.h"
#include "policy/function_info_table.h"
#include "policy/priority_model.h"
#include "policy/request_scheduler.h"

namespace hearth::crl {

class CrlScheduler : public policy::RequestScheduler {
 public:
  explicit CrlScheduler(std::shared_ptr<const CrlModel> model, CrlDecision decision = CrlDecision::kStepwise);
  std::string_view name() const override { return "crl"; }
  void on_function_added(const model::FunctionSpec& fn) override;
  void on_arrival(const model::Invocation& inv, const model::FunctionSpec& fn, model::Micros now) override;
  void on_completed(const model::Invocation& inv, const model::FunctionSpec& fn, model::StartKind kind,
                    model::Micros startup_us, model::Micros exec_us, model::Micros now) override;
  void on_terminated(const model::FunctionSpec& fn, model::Micros term_us) override;
  void on_resources(const model::FunctionSpec& fn, double cpu_cores, model::MegaBytes memory_mb,
                    double io_share) override;
  std::vector<std::size_t> select(std::span<const policy::PendingRequest> pending,
                                  const policy::NodeCapacity& capacity, model::Micros now) override;

  std::size_t last_environment() const { return last_env_; }
  std::uint64_t forward_passes() const { return forwards_; }

 protected:
  // The priority of `fn`'s requests now: the model's priority spec over the Function Info Table.
  virtual double priority(model::FunctionId fn, model::Micros now);

 private:
  static constexpr std::int32_t kUnknown = -1;
  std::int32_t slot_of(model::FunctionId fn) const {
    return fn < slot_of_.size() ? slot_of_[fn] : kUnknown;
  }
  std::size_t environment() const;

  std::shared_ptr<const CrlModel> model_;
  CrlDecision decision_;
  std::vector<DenseNetwork> networks_;  // per environment: the inference copy
  std::unique_ptr<policy::PriorityModel> priority_model_;
  policy::FunctionInfoTable table_;
  std::unordered_map<std::string, std::int32_t> slot_by_name_;
  std::vector<std::int32_t> slot_of_;   // FunctionId → slot or kUnknown
  // Arrival counts per slot: the minute being counted and the last complete one.
  std::int64_t minute_ = -1;
  std::vector<float> current_, previous_;
  bool have_previous_ = false;
  std::size_t last_env_ = 0;
  std::uint64_t forwards_ = 0;
  // Scratch.
  std::vector<SlotInfo> slots_;
  std::vector<std::vector<std::size_t>> by_slot_;
  std::vector<float> state_, q_;
  std::vector<std::uint8_t> mask_, busy_;
  std::vector<std::size_t> order_;
};

}  // namespace hearth::crl
