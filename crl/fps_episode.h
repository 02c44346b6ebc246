// FpsEpisode: one instance of the Function Scheduling Priority problem (Eqs. 5-7 of seed 002) played as
// CRL's Markov decision process (§VI-C), over the model's F function slots. Both training and inference
// walk it, so the two cannot disagree about states, actions or capacity.
//   State  (7F + 2 floats): per slot, the selection count s_i normalised by the slot's pending count
//          (§VI-C "State"), then what the paper leaves implicit and a network needs to respect Eq. 6:
//          pending-and-undecided count / kQueueScale, busy flag, fits flag (one more fits what is left),
//          priority / priority_scale, memory / initial memory capacity, cores / initial core capacity;
//          then the remaining memory and cores as fractions of the initial capacity.
//   Actions (2F): a < F  start one pending request of slot a in a new container (valid when it has an
//          undecided request that fits the remaining capacity, Eq. 6); a = F + i  wait to reuse a busy
//          container of slot i: its undecided requests wait (valid only when slot i has a busy
//          container, §VI-C "Action Space").
//   Terminal when no start is valid (nothing undecided fits). Reward (Eq. 8): 0 until the terminal step,
//          then the total priority of the started requests divided by the total priority pending (so
//          every episode's return lies in [0, 1]).
// Cost: state O(F), valid_actions O(F), step O(F). No torch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "model/time.h"

namespace hearth::crl {

inline constexpr double kQueueScale = 64;  // the longest queue the state is normalised for (counts may exceed it)

struct SlotInfo {
  double priority = 0;
  model::MegaBytes memory_mb = 0;
  double cpu_cores = 0;
};

struct FpsInstance {
  std::vector<std::int32_t> pending;  // per slot: requests waiting
  std::vector<std::uint8_t> busy;     // per slot: a container of it is running (a reuse can be waited for)
  model::MegaBytes capacity_mb = 0;
  double capacity_cores = 0;
};

class FpsEpisode {
 public:
  // `slots` outlives the episode; instance vectors have slots.size() entries.
  FpsEpisode(std::span<const SlotInfo> slots, FpsInstance instance, double priority_scale);

  std::size_t slots() const { return slots_.size(); }
  static std::size_t state_size(std::size_t slots) { return 7 * slots + 2; }
  static std::size_t action_count(std::size_t slots) { return 2 * slots; }

  void state(std::vector<float>& out) const;
  // mask[a] = 1 when action a is valid now.
  void valid_actions(std::vector<std::uint8_t>& mask) const;
  bool done() const;
  // Plays `action` (must be valid); returns its reward (non-zero only on the step that ends the episode).
  double step(std::size_t action);

  const std::vector<std::int32_t>& selected() const { return selected_; }
  double started_priority() const { return started_priority_; }
  double pending_priority() const { return pending_priority_; }
  model::MegaBytes remaining_mb() const { return remaining_mb_; }
  double remaining_cores() const { return remaining_cores_; }

 private:
  bool fits(std::size_t slot) const;

  std::span<const SlotInfo> slots_;
  FpsInstance inst_;
  double priority_scale_;
  std::vector<std::int32_t> selected_, undecided_;
  model::MegaBytes remaining_mb_;
  double remaining_cores_;
  double started_priority_ = 0, pending_priority_ = 0;
};

}  // namespace hearth::crl
