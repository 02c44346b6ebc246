#include "crl/crl_trainer.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <random>
#include <stdexcept>

#include "crl/environment_clusters.h"

namespace hearth::crl {
namespace {

struct Transition {
  std::vector<float> state, next_state;
  std::vector<std::uint8_t> next_mask;
  std::int64_t action = 0;
  float reward = 0;
  bool terminal = false;
};

}  // namespace

std::size_t best_valid_action(std::span<const float> q, std::span<const std::uint8_t> mask) {
  std::size_t best = mask.size();
  float best_q = -std::numeric_limits<float>::infinity();
  for (std::size_t a = 0; a < mask.size(); ++a)
    if (mask[a] && (best == mask.size() || q[a] > best_q)) best = a, best_q = q[a];
  return best;
}

CrlModel train_crl(const CrlHistory& history, const TrainOptions& o, TrainReport* report,
                   const std::function<void(std::size_t, std::int64_t)>& progress) {
  const auto started = std::chrono::steady_clock::now();
  const std::size_t f = history.functions.size();
  if (f == 0) throw std::invalid_argument("CRL training: the history has no functions");
  if (o.episodes <= 0 || o.batch == 0 || o.replay < o.batch || o.target_sync <= 0)
    throw std::invalid_argument("CRL training: episodes, batch, target sync must be positive and replay ≥ batch");
  // Environments: the minutes with arrivals, each as its normalised arrival vector.
  std::vector<std::int64_t> minutes;
  std::vector<std::vector<double>> vectors;
  for (std::int64_t m = 0; m < history.minutes; ++m) {
    std::span<const float> row(&history.counts[static_cast<std::size_t>(m) * f], f);
    std::vector<double> v = normalise_arrivals(row);
    bool any = false;
    for (double x : v) any = any || x > 0;
    if (!any) continue;
    minutes.push_back(m);
    vectors.push_back(std::move(v));
  }
  if (minutes.empty()) throw std::invalid_argument("CRL training: no minute of the history holds an arrival");
  const Clustering clusters = cluster_environments(vectors, o.clusters, o.seed);

  set_torch_threads(o.threads);
  CrlModel model;
  model.functions = history.functions;
  model.centroids = clusters.centroids;
  model.hidden = o.hidden;
  model.priority_spec = history.priority_spec;
  model.priority_scale = history.max_priority();
  const NetworkShape shape = model.shape();
  TrainReport rep;

  for (std::size_t env = 0; env < clusters.centroids.size(); ++env) {
    std::vector<std::int64_t> env_minutes;
    for (std::size_t i = 0; i < minutes.size(); ++i)
      if (clusters.assignment[i] == env) env_minutes.push_back(minutes[i]);
    model.environment_minutes.push_back(static_cast<std::int64_t>(env_minutes.size()));
    std::mt19937_64 rng(o.seed * 1000003 + env);
    QNetwork policy(shape, o.seed + env), target(shape, o.seed + env);
    target.copy_from(policy);
    EnvironmentReport er;
    er.minutes = static_cast<std::int64_t>(env_minutes.size());
    std::vector<Transition> replay;
    replay.reserve(std::min<std::size_t>(o.replay, 4096));
    std::size_t replay_next = 0;
    double epsilon = o.epsilon_start;
    std::vector<float> q(shape.outputs), batch_states, batch_next, batch_targets, next_q;
    std::vector<std::int64_t> batch_actions;
    std::vector<std::uint8_t> mask;
    double return_sum = 0;
    std::int64_t return_count = 0;
    for (std::int64_t ep = 0; ep < o.episodes; ++ep) {
      if (!env_minutes.empty()) {
        const std::int64_t minute =
            env_minutes[std::uniform_int_distribution<std::size_t>(0, env_minutes.size() - 1)(rng)];
        const std::vector<SlotInfo> slots = history_slots(history, minute);  // outlives the episode
        FpsEpisode episode(slots, sample_snapshot(history, minute, o.snapshots, rng), model.priority_scale);
        double ep_return = 0;
        while (!episode.done()) {
          Transition t;
          episode.state(t.state);
          episode.valid_actions(mask);
          std::size_t action;
          if (std::uniform_real_distribution<double>(0, 1)(rng) < epsilon) {
            std::vector<std::size_t> valid;
            for (std::size_t a = 0; a < mask.size(); ++a)
              if (mask[a]) valid.push_back(a);
            action = valid[std::uniform_int_distribution<std::size_t>(0, valid.size() - 1)(rng)];
          } else {
            policy.q_values(t.state, 1, q);
            action = best_valid_action(q, mask);
          }
          t.action = static_cast<std::int64_t>(action);
          t.reward = static_cast<float>(episode.step(action));
          ep_return += t.reward;
          t.terminal = episode.done();
          episode.state(t.next_state);
          episode.valid_actions(t.next_mask);
          if (replay.size() < o.replay) replay.push_back(std::move(t));
          else replay[replay_next] = std::move(t);
          replay_next = (replay_next + 1) % o.replay;
          if (replay.size() >= o.batch) {
            // One DQN step on a uniformly drawn batch.
            batch_states.clear(), batch_next.clear(), batch_actions.clear(), batch_targets.clear();
            std::vector<const Transition*> drawn;
            for (std::size_t b = 0; b < o.batch; ++b) {
              const Transition& s = replay[std::uniform_int_distribution<std::size_t>(0, replay.size() - 1)(rng)];
              drawn.push_back(&s);
              batch_states.insert(batch_states.end(), s.state.begin(), s.state.end());
              batch_next.insert(batch_next.end(), s.next_state.begin(), s.next_state.end());
              batch_actions.push_back(s.action);
            }
            next_q.resize(o.batch * shape.outputs);
            target.q_values(batch_next, o.batch, next_q);
            for (std::size_t b = 0; b < o.batch; ++b) {
              float y = drawn[b]->reward;
              if (!drawn[b]->terminal) {
                const std::span<const float> row(&next_q[b * shape.outputs], shape.outputs);
                const std::size_t best = best_valid_action(row, drawn[b]->next_mask);
                if (best < shape.outputs) y += static_cast<float>(o.gamma) * row[best];
              }
              batch_targets.push_back(y);
            }
            er.last_loss = policy.fit(batch_states, batch_actions, batch_targets, o.learning_rate);
            if (++er.steps % o.target_sync == 0) target.copy_from(policy);
          }
        }
        if (ep >= o.episodes - std::max<std::int64_t>(1, o.episodes / 10)) return_sum += ep_return, ++return_count;
      }
      epsilon = std::max(o.epsilon_min, epsilon * o.epsilon_decay);
      if (progress) progress(env, ep);
    }
    er.mean_return_last_tenth = return_count > 0 ? return_sum / static_cast<double>(return_count) : 0;
    rep.environments.push_back(er);
    rep.parameters_per_network = policy.parameter_count();
    model.networks.push_back(std::move(policy));
  }
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  model.training.seed = o.seed;
  model.training.episodes_per_environment = o.episodes;
  model.training.seconds = rep.seconds;
  if (report) *report = rep;
  return model;
}

}  // namespace hearth::crl
