#include "sim/processor_sharing.h"

#include <cassert>

namespace hearth::sim {

std::uint32_t ProcessorSharing::pop_top() {
  std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
  const std::uint32_t job = heap_.back().job;
  heap_.pop_back();
  return job;
}

void ProcessorSharing::advance_weighted(model::Micros now) {
  const auto dt = static_cast<double>(now - at_);
  virtual_ += dt * level_;
  wall_ += dt;
  at_ = now;
}

// The node's jobs so far all have weight 1: their heap becomes the uncapped set (a tag V + work/1 is the
// same), nobody capped yet; rebalance() then places them with the newcomer.
void ProcessorSharing::enter_weighted() {
  level_ = rate();  // before weighted_: the equal-weights rate of the heap's jobs
  weighted_ = true;
  wall_ = 0;
  uncapped_weight_ = 0;
  for (const Tag& t : heap_) {
    weighted_jobs_.emplace(t.job, WeightedJob{1, false, t.finish});
    uncapped_tags_.emplace(t.finish, t.job);
    uncapped_weights_.emplace(1, t.job);
    ++uncapped_weight_;
  }
  heap_.clear();
}

void ProcessorSharing::add_weighted(std::uint32_t job, model::Micros work_us, std::uint32_t weight) {
  assert(weight >= 1);
  if (!weighted_) {
    if (heap_.empty()) virtual_ = 0;
    enter_weighted();
  }
  if (weighted_jobs_.empty()) virtual_ = wall_ = 0;
  const double tag = virtual_ + static_cast<double>(work_us) / static_cast<double>(weight);
  weighted_jobs_.emplace(job, WeightedJob{weight, false, tag});
  uncapped_tags_.emplace(tag, job);
  uncapped_weights_.emplace(weight, job);
  uncapped_weight_ += weight;
  rebalance();
}

// An uncapped job reaches its cap: its remaining work (virtual left × weight) runs at one core from now.
void ProcessorSharing::cap(std::uint32_t job) {
  WeightedJob& j = weighted_jobs_.at(job);
  uncapped_tags_.erase({j.tag, job});
  uncapped_weights_.erase({j.weight, job});
  uncapped_weight_ -= j.weight;
  j.tag = wall_ + (j.tag - virtual_) * static_cast<double>(j.weight);
  j.capped = true;
  capped_tags_.emplace(j.tag, job);
  capped_weights_.emplace(j.weight, job);
}

// A capped job falls below its cap: its remaining work progresses at L·weight from now.
void ProcessorSharing::uncap(std::uint32_t job) {
  WeightedJob& j = weighted_jobs_.at(job);
  capped_tags_.erase({j.tag, job});
  capped_weights_.erase({j.weight, job});
  j.tag = virtual_ + (j.tag - wall_) / static_cast<double>(j.weight);
  j.capped = false;
  uncapped_tags_.emplace(j.tag, job);
  uncapped_weights_.emplace(j.weight, job);
  uncapped_weight_ += j.weight;
}

// Water-filling after the running set changed. The capped jobs are always the heaviest k (in (weight, job)
// order), so the partition moves only at its boundary. With n > c the right k is the least for which the
// level L_k = (c − k) / (weight of the others) keeps the heaviest uncapped job within its cap
// (L_k · w <= 1); that condition only gets easier as k grows, so: uncap while k − 1 would do, then cap
// while k does not. With n <= c every job runs at one core: all capped (going over c then uncaps only the
// lightest few, those the water level does not reach).
void ProcessorSharing::rebalance() {
  const auto n = static_cast<std::int64_t>(weighted_jobs_.size());
  if (n <= cores_) {
    while (!uncapped_weights_.empty()) cap(uncapped_weights_.rbegin()->second);
    level_ = 1;  // no uncapped job: V stands for nothing until n > c
    return;
  }
  const auto cores = static_cast<double>(cores_);
  while (!capped_weights_.empty()) {
    const auto k = static_cast<double>(capped_weights_.size());
    const auto w = static_cast<double>(capped_weights_.begin()->first);
    if ((cores - k + 1) / (static_cast<double>(uncapped_weight_) + w) * w > 1) break;
    uncap(capped_weights_.begin()->second);
  }
  for (;;) {
    const auto k = static_cast<double>(capped_weights_.size());
    const double level = (cores - k) / static_cast<double>(uncapped_weight_);
    if (level * static_cast<double>(uncapped_weights_.rbegin()->first) <= 1) {
      level_ = level;
      return;
    }
    cap(uncapped_weights_.rbegin()->second);  // n > c: some job always stays uncapped
  }
}

void ProcessorSharing::remove_weighted(std::uint32_t job) {
  const auto it = weighted_jobs_.find(job);
  const WeightedJob j = it->second;
  weighted_jobs_.erase(it);
  if (j.capped) {
    capped_tags_.erase({j.tag, job});
    capped_weights_.erase({j.weight, job});
  } else {
    uncapped_tags_.erase({j.tag, job});
    uncapped_weights_.erase({j.weight, job});
    uncapped_weight_ -= j.weight;
  }
  if (weighted_jobs_.empty()) {  // idle: back to the equal-weights fast path
    weighted_ = false;
    virtual_ = wall_ = 0;
    return;
  }
  rebalance();
}

// Done-ness and finish instants in time left (not work left), so that the smallest tag of each set is
// always the first done there.
bool ProcessorSharing::pop_done_weighted(std::uint32_t* job) {
  if (!uncapped_tags_.empty()) {
    const TagKey& t = *uncapped_tags_.begin();
    if ((t.first - virtual_) / level_ <= kSlack) {
      *job = t.second;
      remove_weighted(*job);
      return true;
    }
  }
  if (!capped_tags_.empty()) {
    const TagKey& t = *capped_tags_.begin();
    if (t.first - wall_ <= kSlack) {
      *job = t.second;
      remove_weighted(*job);
      return true;
    }
  }
  return false;
}

model::Micros ProcessorSharing::next_finish_weighted() const {
  model::Micros next = model::kNever;
  const auto instant = [&](double left) {
    if (left <= kSlack) return at_;
    return at_ + static_cast<model::Micros>(std::ceil(left - kSlack));
  };
  if (!uncapped_tags_.empty()) next = std::min(next, instant((uncapped_tags_.begin()->first - virtual_) / level_));
  if (!capped_tags_.empty()) next = std::min(next, instant(capped_tags_.begin()->first - wall_));
  return next;
}

}  // namespace hearth::sim
