// CrlScheduler: Incendio's learned request scheduler (`crl:model=DIR`, seed 002 §VI-C, Algorithm 1's
// PREDICTION), a policy::RequestScheduler (policy/request_scheduler.h) over a trained CrlModel.
// At each select():
//   1. the environment: the arrival vector of the last complete minute seen (on_arrival; the current
//      minute's while there is none), normalised as in training, picks the nearest centroid's network;
//   2. the pending requests of the model's functions form an FpsInstance (per slot: pending count, busy =
//      some container of the function runs now; sizes from the requests themselves, priorities from the
//      engine's function specs by standin_priority) under the capacity given;
//   3. greedy argmax of Q (the environment network's DenseNetwork copy, crl/dense_network.h) over the valid actions (crl/fps_episode.h: never a start that does not fit) until
//      no start is valid: each start takes that function's oldest undecided request; a wait leaves them;
//   4. requests of functions the model does not know then start, oldest first, each that still fits.
// Never returns a set that exceeds the capacity given. Deterministic. Cost: one forward pass per action
// taken (≤ started + waited requests) plus O(n + F) per select; no allocation after warm-up.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "crl/crl_model.h"
#include "crl/dense_network.h"
#include "policy/request_scheduler.h"

namespace hearth::crl {

class CrlScheduler final : public policy::RequestScheduler {
 public:
  explicit CrlScheduler(std::shared_ptr<const CrlModel> model);
  std::string_view name() const override { return "crl"; }
  void on_function_added(const model::FunctionSpec& fn) override;
  void on_arrival(const model::Invocation& inv, const model::FunctionSpec& fn, model::Micros now) override;
  std::vector<std::size_t> select(std::span<const policy::PendingRequest> pending,
                                  const policy::NodeCapacity& capacity, model::Micros now) override;

  std::size_t last_environment() const { return last_env_; }
  std::uint64_t forward_passes() const { return forwards_; }

 private:
  static constexpr std::int32_t kUnknown = -1;
  std::int32_t slot_of(model::FunctionId fn) const {
    return fn < slot_of_.size() ? slot_of_[fn] : kUnknown;
  }
  std::size_t environment() const;

  std::shared_ptr<const CrlModel> model_;
  std::vector<DenseNetwork> networks_;  // per environment: the inference copy
  std::unordered_map<std::string, std::int32_t> slot_by_name_;
  std::vector<std::int32_t> slot_of_;   // FunctionId → slot or kUnknown
  std::vector<double> priority_of_;     // FunctionId → priority
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
  std::vector<std::uint8_t> mask_;
};

}  // namespace hearth::crl
