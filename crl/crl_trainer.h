// CRL training (Algorithm 1 of seed 002): cluster the history's minutes into environments
// (crl/environment_clusters.h), then train one Deep Q-Network per environment on episodes built from
// that environment's minutes (crl/snapshot_sampler.h, crl/fps_episode.h):
//   ε-greedy over the valid actions (ε from epsilon_start, × epsilon_decay after every episode, floored at
//   epsilon_min); every transition into a replay buffer (oldest overwritten); after every step, once the
//   buffer holds a batch, one Adam step on a uniformly drawn batch with targets
//   r + γ · max_{a' valid in s'} Q_target(s', a') (just r at a terminal s'); the target network copies the
//   policy network every target_sync steps. γ = 1 by default: the task is episodic with its only reward at
//   the end, and a discount would pay the agent for starting fewer requests.
// Deterministic given the seed and thread count. Cost: episodes × steps × (batch × forward + backward).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "crl/crl_history.h"
#include "crl/crl_model.h"
#include "crl/snapshot_sampler.h"

namespace hearth::crl {

struct TrainOptions {
  std::size_t clusters = 4;
  std::int64_t episodes = 300;  // per environment
  std::uint64_t seed = 1;
  std::vector<std::int64_t> hidden = {1024, 512, 512, 256};
  double learning_rate = 1e-4;
  double gamma = 1.0;
  double epsilon_start = 1.0, epsilon_min = 0.05, epsilon_decay = 0.99;
  std::size_t batch = 32;
  std::size_t replay = 20000;
  std::int64_t target_sync = 100;
  SnapshotOptions snapshots;
  int threads = 1;  // libtorch intra-op threads while training
};

struct EnvironmentReport {
  std::int64_t minutes = 0;
  std::int64_t steps = 0;
  double last_loss = 0;
  double mean_return_last_tenth = 0;  // mean episode return (fraction of pending priority started), last 10 %
};

struct TrainReport {
  std::vector<EnvironmentReport> environments;
  std::size_t parameters_per_network = 0;
  double seconds = 0;
};

// Throws std::invalid_argument for a history without minutes holding arrivals or bad options.
// `progress` (optional) is called after every episode with (environment, episode).
CrlModel train_crl(const CrlHistory& history, const TrainOptions& options, TrainReport* report = nullptr,
                   const std::function<void(std::size_t, std::int64_t)>& progress = {});

// Argmax of q over the actions valid in mask (ties: lowest index); mask must have a valid action.
std::size_t best_valid_action(std::span<const float> q, std::span<const std::uint8_t> mask);

}  // namespace hearth::crl
