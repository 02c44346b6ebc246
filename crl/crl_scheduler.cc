#include "crl/crl_scheduler.h"

#include <algorithm>

#include "crl/crl_trainer.h"
#include "crl/environment_clusters.h"

namespace hearth::crl {
namespace {
constexpr double kCoreTolerance = 1e-9;  // as policy::knapsack_fits
}

CrlScheduler::CrlScheduler(std::shared_ptr<const CrlModel> model, CrlDecision decision)
    : model_(std::move(model)), decision_(decision), priority_model_(policy::make_priority_model(model_->priority_spec)) {
  const std::size_t f = model_->functions.size();
  for (const QNetwork& net : model_->networks) networks_.push_back(net.dense());
  for (std::size_t i = 0; i < f; ++i) slot_by_name_.emplace(model_->functions[i].name, static_cast<std::int32_t>(i));
  current_.assign(f, 0);
  previous_.assign(f, 0);
  by_slot_.resize(f);
  slots_.resize(f);
  q_.resize(model_->shape().outputs);
}

void CrlScheduler::on_function_added(const model::FunctionSpec& fn) {
  if (fn.id >= slot_of_.size()) slot_of_.resize(fn.id + 1, kUnknown);
  const auto it = slot_by_name_.find(fn.name);
  slot_of_[fn.id] = it == slot_by_name_.end() ? kUnknown : it->second;
  table_.on_function_added(fn);
}

void CrlScheduler::on_arrival(const model::Invocation& inv, const model::FunctionSpec& fn, model::Micros now) {
  (void)fn;
  table_.on_arrival(inv.function, now);
  const std::int64_t minute = now / model::kMicrosPerMinute;
  if (minute != minute_) {
    if (minute_ >= 0) {
      // The minute just ended is the last complete one only if it directly precedes this one.
      if (minute == minute_ + 1) previous_ = current_, have_previous_ = true;
      else std::fill(previous_.begin(), previous_.end(), 0.f), have_previous_ = true;
    }
    std::fill(current_.begin(), current_.end(), 0.f);
    minute_ = minute;
  }
  const std::int32_t s = slot_of(inv.function);
  if (s != kUnknown) current_[static_cast<std::size_t>(s)] += 1;
}

void CrlScheduler::on_completed(const model::Invocation& inv, const model::FunctionSpec& fn, model::StartKind kind,
                                model::Micros startup_us, model::Micros exec_us, model::Micros now) {
  (void)fn;
  table_.on_completed(inv.function, kind, startup_us, exec_us, now);
}

void CrlScheduler::on_terminated(const model::FunctionSpec& fn, model::Micros term_us) {
  table_.on_terminated(fn.id, term_us);
}

void CrlScheduler::on_resources(const model::FunctionSpec& fn, double cpu_cores, model::MegaBytes memory_mb,
                                double io_share) {
  table_.on_resources(fn.id, cpu_cores, memory_mb, io_share);
}

double CrlScheduler::priority(model::FunctionId fn, model::Micros now) {
  return priority_model_->priority(table_.row(fn, now));
}

std::size_t CrlScheduler::environment() const {
  const std::vector<double> v = normalise_arrivals(have_previous_ ? previous_ : current_);
  return nearest_environment(model_->centroids, v);
}

std::vector<std::size_t> CrlScheduler::select(std::span<const policy::PendingRequest> pending,
                                              const policy::NodeCapacity& capacity, model::Micros now) {
  std::vector<std::size_t> chosen;
  if (pending.empty()) return chosen;
  const std::size_t f = model_->functions.size();
  FpsInstance inst;
  inst.pending.assign(f, 0);
  inst.busy.assign(f, 0);
  inst.capacity_mb = capacity.available_mb;
  inst.capacity_cores = capacity.available_cores;
  for (std::size_t i = 0; i < f; ++i) {
    by_slot_[i].clear();
    slots_[i] = {model_->functions[i].priority, model_->functions[i].memory_mb, model_->functions[i].cpu_cores};
  }
  bool unknown = false;
  for (std::size_t k = 0; k < pending.size(); ++k) {
    const policy::PendingRequest& r = pending[k];
    const std::int32_t s = slot_of(r.function);
    if (s == kUnknown) {
      unknown = true;
      continue;
    }
    const auto i = static_cast<std::size_t>(s);
    if (by_slot_[i].empty()) slots_[i] = {priority(r.function, now), r.memory_mb, r.cpu_cores};
    by_slot_[i].push_back(k);
    ++inst.pending[i];
    if (r.busy_same > 0) inst.busy[i] = 1;
  }
  model::MegaBytes left_mb = capacity.available_mb;
  double left_cores = capacity.available_cores;
  const auto take = [&](std::size_t k) {
    const policy::PendingRequest& r = pending[k];
    if (r.memory_mb > left_mb || r.cpu_cores > left_cores + kCoreTolerance) return false;
    left_mb -= r.memory_mb;
    left_cores -= r.cpu_cores;
    chosen.push_back(k);
    return true;
  };
  last_env_ = environment();
  const DenseNetwork& net = networks_[last_env_];
  busy_ = inst.busy;
  FpsEpisode episode(slots_, std::move(inst), model_->priority_scale);
  if (decision_ == CrlDecision::kStepwise) {
    std::vector<std::size_t> next(f, 0);  // per slot: its next undecided request
    while (!episode.done()) {
      episode.state(state_);
      episode.valid_actions(mask_);
      net.q_values(state_, q_);
      ++forwards_;
      const std::size_t a = best_valid_action(q_, mask_);
      episode.step(a);
      if (a < f) take(by_slot_[a][next[a]++]);  // the episode checked it fits
    }
  } else if (!episode.done()) {
    episode.state(state_);
    net.q_values(state_, q_);
    ++forwards_;
    order_.clear();
    for (std::size_t i = 0; i < f; ++i)
      if (!by_slot_[i].empty() && !(busy_[i] && q_[f + i] > q_[i])) order_.push_back(i);
    std::stable_sort(order_.begin(), order_.end(), [&](std::size_t a, std::size_t b) { return q_[a] > q_[b]; });
    for (std::size_t i : order_)
      for (std::size_t k : by_slot_[i])
        if (!take(k)) break;  // the slot's requests are the same size: none after it fits either
  }
  if (unknown)
    for (std::size_t k = 0; k < pending.size(); ++k)
      if (slot_of(pending[k].function) == kUnknown) take(k);
  return chosen;
}

}  // namespace hearth::crl
