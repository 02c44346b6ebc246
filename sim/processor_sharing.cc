#include "sim/processor_sharing.h"

#include <algorithm>
#include <cassert>

namespace hearth::sim {

// The heap's top out (Floyd's: the hole goes down to a leaf by the earliest child, then the last tag rises
// from there). Tags are distinct (job ids are), so the tops come out in the same order whatever the layout.
std::uint32_t ProcessorSharing::pop_top() {
  const std::uint32_t job = heap_.front().job;
  const Tag last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return job;
  std::size_t hole = 0;
  for (std::size_t first = 1; first < n; first = 4 * hole + 1) {
    std::size_t best = first;
    const std::size_t end = std::min(first + 4, n);
    for (std::size_t c = first + 1; c < end; ++c) best = before(heap_[c], heap_[best]) ? c : best;
    heap_[hole] = heap_[best];
    hole = best;
  }
  rise(hole, last);
  return job;
}

void ProcessorSharing::push_tag(Tag t) {
  heap_.push_back(t);
  rise(heap_.size() - 1, t);
}

// Puts `t` in the hole at `hole` or above it, moving the later parents down.
void ProcessorSharing::rise(std::size_t hole, const Tag& t) {
  while (hole > 0) {
    const std::size_t parent = (hole - 1) / 4;
    if (!before(t, heap_[parent])) break;
    heap_[hole] = heap_[parent];
    hole = parent;
  }
  heap_[hole] = t;
}

// Heapify bottom-up: each inner node's tag sinks below its earlier children.
void ProcessorSharing::make_tag_heap() {
  const std::size_t n = heap_.size();
  if (n < 2) return;
  for (std::size_t i = (n - 2) / 4 + 1; i-- > 0;) {
    const Tag t = heap_[i];
    std::size_t hole = i;
    for (std::size_t first = 4 * hole + 1; first < n; first = 4 * hole + 1) {
      std::size_t best = first;
      for (std::size_t c = first + 1; c < std::min(first + 4, n); ++c) best = before(heap_[c], heap_[best]) ? c : best;
      if (!before(heap_[best], t)) break;
      heap_[hole] = heap_[best];
      hole = best;
    }
    heap_[hole] = t;
  }
}

void ProcessorSharing::advance_weighted(model::Micros now) {
  const auto dt = static_cast<double>(now - at_);
  virtual_ += dt * level_;
  wall_ += dt;
  at_ = now;
}

// More jobs than cores with different weights: the heap's jobs (each with finish − V µs of work left)
// become uncapped jobs of a fresh virtual clock, and rebalance() caps the heaviest.
void ProcessorSharing::enter_weighted() {
  weighted_ = true;
  wall_ = 0;
  uncapped_weight_ = 0;
  for (const Tag& t : heap_)
    insert_weighted(WeightedJob{(t.finish - virtual_) / static_cast<double>(t.weight), t.job, t.weight, false});
  heap_.clear();
  virtual_ = 0;
  rebalance();
}

// No more jobs than cores: each runs at one core whatever its weight, so the fast path's heap (V at
// rate 1) takes them back with their remaining work.
void ProcessorSharing::leave_weighted() {
  heap_.clear();
  uniform_weight_ = slots_[uncapped_tags_.empty() ? capped_tags_.top().slot : uncapped_tags_.top().slot].weight;
  for (const auto* set : {&uncapped_tags_, &capped_tags_}) {
    for (const TagEntry& e : set->entries()) {
      const WeightedJob& j = slots_[e.slot];
      const double left = j.capped ? j.tag - wall_ : (j.tag - virtual_) * static_cast<double>(j.weight);
      heap_.push_back(Tag{left, j.job, j.weight});
      if (j.weight != uniform_weight_) uniform_weight_ = 0;
    }
  }
  make_tag_heap();
  virtual_ = 0;
  weighted_ = false;
  slots_.clear();
  free_slots_.clear();
  uncapped_tags_.clear();
  capped_tags_.clear();
  uncapped_weights_.clear();
  capped_weights_.clear();
  uncapped_weight_ = 0;
}

// Stores an uncapped job in a free slot and enters it in the uncapped sets.
void ProcessorSharing::insert_weighted(const WeightedJob& j) {
  std::uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(j);
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = j;
  }
  uncapped_tags_.push(TagEntry{j.tag, j.job, slot});
  uncapped_weights_.push(WeightEntry{j.weight, j.job, slot});
  uncapped_weight_ += j.weight;
}

void ProcessorSharing::add_weighted(std::uint32_t job, model::Micros work_us, std::uint32_t weight) {
  assert(weight >= 1 && weighted_);
  insert_weighted(WeightedJob{virtual_ + static_cast<double>(work_us) / static_cast<double>(weight), job, weight, false});
  rebalance();
}

// An uncapped job reaches its cap: its remaining work (virtual left × weight) runs at one core from now.
void ProcessorSharing::cap(std::uint32_t slot) {
  WeightedJob& j = slots_[slot];
  uncapped_tags_.erase(slot);
  uncapped_weights_.erase(slot);
  uncapped_weight_ -= j.weight;
  j.tag = wall_ + (j.tag - virtual_) * static_cast<double>(j.weight);
  j.capped = true;
  capped_tags_.push(TagEntry{j.tag, j.job, slot});
  capped_weights_.push(WeightEntry{j.weight, j.job, slot});
}

// A capped job falls below its cap: its remaining work progresses at L·weight from now.
void ProcessorSharing::uncap(std::uint32_t slot) {
  WeightedJob& j = slots_[slot];
  capped_tags_.erase(slot);
  capped_weights_.erase(slot);
  j.tag = virtual_ + (j.tag - wall_) / static_cast<double>(j.weight);
  j.capped = false;
  uncapped_tags_.push(TagEntry{j.tag, j.job, slot});
  uncapped_weights_.push(WeightEntry{j.weight, j.job, slot});
  uncapped_weight_ += j.weight;
}

// Water-filling after the running set changed (weighted mode: more jobs than cores). The capped jobs are
// always the heaviest k (in (weight, job) order), so the partition moves only at its boundary. The right
// k is the least for which the level L_k = (c − k) / (weight of the others) keeps the heaviest uncapped
// job within its cap (L_k · w <= 1); that condition only gets easier as k grows, so: uncap while k − 1
// would do, then cap while k does not. At most c − 1 jobs are capped: some job always stays uncapped.
void ProcessorSharing::rebalance() {
  assert(static_cast<std::int64_t>(slots_.size() - free_slots_.size()) > cores_);
  const auto cores = static_cast<double>(cores_);
  while (!capped_weights_.empty()) {
    const auto k = static_cast<double>(capped_weights_.size());
    const auto w = static_cast<double>(capped_weights_.top().weight);
    if ((cores - k + 1) / (static_cast<double>(uncapped_weight_) + w) * w > 1) break;
    uncap(capped_weights_.top().slot);
  }
  for (;;) {
    const auto k = static_cast<double>(capped_weights_.size());
    const double level = (cores - k) / static_cast<double>(uncapped_weight_);
    if (level * static_cast<double>(uncapped_weights_.top().weight) <= 1) {
      level_ = level;
      return;
    }
    cap(uncapped_weights_.top().slot);
  }
}

void ProcessorSharing::remove_weighted(std::uint32_t slot) {
  const WeightedJob& j = slots_[slot];
  if (j.capped) {
    capped_tags_.erase(slot);
    capped_weights_.erase(slot);
  } else {
    uncapped_tags_.erase(slot);
    uncapped_weights_.erase(slot);
    uncapped_weight_ -= j.weight;
  }
  free_slots_.push_back(slot);
  if (static_cast<std::int64_t>(slots_.size() - free_slots_.size()) <= cores_) {
    leave_weighted();
    return;
  }
  rebalance();
}

// Done-ness and finish instants in time left (not work left), so that the smallest tag of each set is
// always the first done there.
bool ProcessorSharing::pop_done_weighted(std::uint32_t* job) {
  if (!uncapped_tags_.empty()) {
    const TagEntry& t = uncapped_tags_.top();
    if ((t.tag - virtual_) / level_ <= kSlack) {
      *job = t.job;
      remove_weighted(t.slot);
      return true;
    }
  }
  if (!capped_tags_.empty()) {
    const TagEntry& t = capped_tags_.top();
    if (t.tag - wall_ <= kSlack) {
      *job = t.job;
      remove_weighted(t.slot);
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
  if (!uncapped_tags_.empty()) next = std::min(next, instant((uncapped_tags_.top().tag - virtual_) / level_));
  if (!capped_tags_.empty()) next = std::min(next, instant(capped_tags_.top().tag - wall_));
  return next;
}

}  // namespace hearth::sim
