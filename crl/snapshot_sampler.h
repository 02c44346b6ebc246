// Snapshot sampler: CRL's training (and held-out evaluation) instances drawn from a trace's history
// (seed 002 §VI-C; the paper trains on "historical data" without saying how a queue is formed, so we
// choose and document it in docs/incendio.md):
//   a minute m with arrivals; a queue of L requests, L uniform in [min_queue, max_queue], each one's
//   function drawn in proportion to m's arrival counts (the environment's mix); the node's capacity for
//   new starts = a fraction, uniform in [min_fill, max_fill], of the queue's total memory, and
//   independently of its total cores (so that not everything fits and the two constraints differ);
//   a function drawn has a busy container (a reuse can be waited for) with probability busy_probability
//   when it also arrived in minute m − 1.
// Deterministic given the generator's state. Cost: O(L + F) per snapshot.
#pragma once

#include <cstdint>
#include <random>

#include "crl/crl_history.h"
#include "crl/fps_episode.h"

namespace hearth::crl {

struct SnapshotOptions {
  std::int32_t min_queue = 4, max_queue = 64;
  double min_fill = 0.2, max_fill = 0.8;
  double busy_probability = 0.5;
};

// `minute` must hold at least one arrival of the history's functions.
FpsInstance sample_snapshot(const CrlHistory& history, std::int64_t minute, const SnapshotOptions& options,
                            std::mt19937_64& rng);

// The slots of `history`'s functions (priority as of the end of `minute`, container size) as the episode
// sees them at a decision in that minute.
std::vector<SlotInfo> history_slots(const CrlHistory& history, std::int64_t minute);

}  // namespace hearth::crl
