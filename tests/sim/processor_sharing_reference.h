// SetProcessorSharing: sim/processor_sharing.h as it was before its weighted mode moved from ordered sets
// and a hash map to slot heaps (sim/slot_heap.h), kept verbatim as the reference the property test
// tests/sim/processor_sharing_test.cc compares the new one with, finish for finish, bit for bit.
#pragma once

#include <cassert>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/time.h"

namespace hearth::sim::reference {

class SetProcessorSharing {
 public:
  explicit SetProcessorSharing(std::int32_t cores) : cores_(cores) {}

  // Brings virtual time up to `now` (not earlier than the last call).
  void advance(model::Micros now) {
    if (now <= at_) return;
    if (weighted_) {
      advance_weighted(now);
      return;
    }
    if (heap_.empty()) {
      virtual_ = 0;  // idle: restart the clock, keeping its values small
    } else {
      virtual_ += static_cast<double>(now - at_) * rate();
    }
    at_ = now;
  }
  // A job with `work_us` µs of CPU work and CPU weight `weight` (>= 1) joins at the current instant (after
  // advance()).
  void add(std::uint32_t job, model::Micros work_us, std::uint32_t weight = 1) {
    if (weighted_) {
      add_weighted(job, work_us, weight);
      return;
    }
    if (heap_.empty()) {
      virtual_ = 0;
      uniform_weight_ = weight;
    } else if (weight != uniform_weight_) {
      uniform_weight_ = 0;
    }
    push_tag(Tag{virtual_ + static_cast<double>(work_us), job, weight});
    if (uniform_weight_ == 0 && static_cast<std::int32_t>(heap_.size()) > cores_) enter_weighted();
  }
  // Removes a job whose work is done at the current instant into *job; false if none. Jobs that finish
  // together come out in the order of their finish tags (equal tags: of their ids). (Not an optional: a
  // returned std::optional<uint32_t> goes through the stack, and reading it back stalls store forwarding
  // on the engine's hottest path.)
  bool pop_done(std::uint32_t* job) {
    if (weighted_) return pop_done_weighted(job);
    if (heap_.empty() || heap_.front().finish > virtual_ + kSlack) return false;
    *job = pop_top();
    return true;
  }
  // The instant the next job finishes at the current rates; model::kNever if none runs.
  model::Micros next_finish() const {
    if (weighted_) return next_finish_weighted();
    if (heap_.empty()) return model::kNever;
    const double left = heap_.front().finish - virtual_;
    if (left <= kSlack) return at_;
    // At one core each (no more jobs than cores, the usual case) left / 1.0 is left: no division.
    const double time = static_cast<std::int32_t>(heap_.size()) <= cores_ ? left : left / rate();
    return at_ + static_cast<model::Micros>(std::ceil(time - kSlack));
  }
  // The job at the front of the fast path's heap (the next to finish there); UINT32_MAX if none or
  // weighted. A hint for prefetching: nothing changes.
  std::uint32_t next_job() const { return weighted_ || heap_.empty() ? UINT32_MAX : heap_.front().job; }
  // Starts loading the fast path's heap front (a hint: nothing changes).
  void prefetch_next() const { __builtin_prefetch(heap_.data()); }
  std::int32_t running() const {
    return static_cast<std::int32_t>(weighted_ ? weighted_jobs_.size() : heap_.size());
  }
  // CPU work per µs a running job of weight `weight` receives now.
  double rate(std::uint32_t weight = 1) const {
    if (weighted_) return std::min(1.0, level_ * static_cast<double>(weight));
    const auto n = static_cast<std::int32_t>(heap_.size());
    return n <= cores_ ? 1.0 : static_cast<double>(cores_) / static_cast<double>(n);
  }

 private:
  // Rounding slack (µs of work, or of time in the weighted sets): a job this close to its finish is done.
  // Far below the 1 µs resolution of instants, far above double's error on a busy period of days.
  static constexpr double kSlack = 1e-3;

  struct Tag {  // 16 bytes: four to a cache line
    double finish;  // virtual work at which the job is done
    std::uint32_t job;
    std::uint32_t weight;
    bool operator>(const Tag& o) const { return finish != o.finish ? finish > o.finish : job > o.job; }
  };
  // A job of the weighted sets: its weight, whether it runs at its one-core cap, and its tag (virtual
  // when uncapped, wall µs of the busy period when capped).
  struct WeightedJob {
    std::uint32_t weight;
    bool capped;
    double tag;
  };
  using TagKey = std::pair<double, std::uint32_t>;          // (tag, job)
  using WeightKey = std::pair<std::uint32_t, std::uint32_t>;  // (weight, job)

  std::uint32_t pop_top();
  void push_tag(Tag t);
  void rise(std::size_t hole, const Tag& t);
  void make_tag_heap();
  // The 4-ary heap's order: earlier finish, then lower job id (tags are distinct: job ids are).
  static bool before(const Tag& a, const Tag& b) {
    return (a.finish < b.finish) | ((a.finish == b.finish) & (a.job < b.job));
  }
  void advance_weighted(model::Micros now);
  void add_weighted(std::uint32_t job, model::Micros work_us, std::uint32_t weight);
  bool pop_done_weighted(std::uint32_t* job);
  model::Micros next_finish_weighted() const;
  void enter_weighted();
  void leave_weighted();
  void remove_weighted(std::uint32_t job);
  void rebalance();
  void cap(std::uint32_t job);
  void uncap(std::uint32_t job);

  // Equal weights (and the hot fields of both modes) first.
  std::int32_t cores_;
  bool weighted_ = false;
  model::Micros at_ = 0;  // the instant virtual_ (and wall_) are for
  double virtual_ = 0;
  // A 4-ary min-heap by before() (children of i at 4i+1..4i+4: half the levels of a binary heap, the four
  // children on one or two cache lines); empty while weighted_.
  std::vector<Tag> heap_;
  std::uint32_t uniform_weight_ = 0;  // the weight of every job in heap_, or 0 if they may differ

  // Weighted mode.
  double wall_ = 0;   // µs since the busy period began (capped jobs' clock)
  double level_ = 1;  // L: virtual time per µs; an uncapped job of weight w progresses at L·w
  std::int64_t uncapped_weight_ = 0;  // sum of the uncapped jobs' weights
  std::unordered_map<std::uint32_t, WeightedJob> weighted_jobs_;
  std::set<TagKey> uncapped_tags_, capped_tags_;
  std::set<WeightKey> uncapped_weights_, capped_weights_;
};




// The heap's top out (Floyd's: the hole goes down to a leaf by the earliest child, then the last tag rises
// from there). Tags are distinct (job ids are), so the tops come out in the same order whatever the layout.
inline std::uint32_t SetProcessorSharing::pop_top() {
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

inline void SetProcessorSharing::push_tag(Tag t) {
  heap_.push_back(t);
  rise(heap_.size() - 1, t);
}

// Puts `t` in the hole at `hole` or above it, moving the later parents down.
inline void SetProcessorSharing::rise(std::size_t hole, const Tag& t) {
  while (hole > 0) {
    const std::size_t parent = (hole - 1) / 4;
    if (!before(t, heap_[parent])) break;
    heap_[hole] = heap_[parent];
    hole = parent;
  }
  heap_[hole] = t;
}

// Heapify bottom-up: each inner node's tag sinks below its earlier children.
inline void SetProcessorSharing::make_tag_heap() {
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

inline void SetProcessorSharing::advance_weighted(model::Micros now) {
  const auto dt = static_cast<double>(now - at_);
  virtual_ += dt * level_;
  wall_ += dt;
  at_ = now;
}

// More jobs than cores with different weights: the heap's jobs (each with finish − V µs of work left)
// become uncapped jobs of a fresh virtual clock, and rebalance() caps the heaviest.
inline void SetProcessorSharing::enter_weighted() {
  weighted_ = true;
  wall_ = 0;
  uncapped_weight_ = 0;
  for (const Tag& t : heap_) {
    const double tag = (t.finish - virtual_) / static_cast<double>(t.weight);
    weighted_jobs_.emplace(t.job, WeightedJob{t.weight, false, tag});
    uncapped_tags_.emplace(tag, t.job);
    uncapped_weights_.emplace(t.weight, t.job);
    uncapped_weight_ += t.weight;
  }
  heap_.clear();
  virtual_ = 0;
  rebalance();
}

// No more jobs than cores: each runs at one core whatever its weight, so the fast path's heap (V at
// rate 1) takes them back with their remaining work.
inline void SetProcessorSharing::leave_weighted() {
  heap_.clear();
  uniform_weight_ = weighted_jobs_.begin()->second.weight;
  for (const auto& [job, j] : weighted_jobs_) {
    const double left = j.capped ? j.tag - wall_ : (j.tag - virtual_) * static_cast<double>(j.weight);
    heap_.push_back(Tag{left, job, j.weight});
    if (j.weight != uniform_weight_) uniform_weight_ = 0;
  }
  make_tag_heap();
  virtual_ = 0;
  weighted_ = false;
  weighted_jobs_.clear();
  uncapped_tags_.clear();
  capped_tags_.clear();
  uncapped_weights_.clear();
  capped_weights_.clear();
  uncapped_weight_ = 0;
}

inline void SetProcessorSharing::add_weighted(std::uint32_t job, model::Micros work_us, std::uint32_t weight) {
  assert(weight >= 1 && weighted_);
  const double tag = virtual_ + static_cast<double>(work_us) / static_cast<double>(weight);
  weighted_jobs_.emplace(job, WeightedJob{weight, false, tag});
  uncapped_tags_.emplace(tag, job);
  uncapped_weights_.emplace(weight, job);
  uncapped_weight_ += weight;
  rebalance();
}

// An uncapped job reaches its cap: its remaining work (virtual left × weight) runs at one core from now.
inline void SetProcessorSharing::cap(std::uint32_t job) {
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
inline void SetProcessorSharing::uncap(std::uint32_t job) {
  WeightedJob& j = weighted_jobs_.at(job);
  capped_tags_.erase({j.tag, job});
  capped_weights_.erase({j.weight, job});
  j.tag = virtual_ + (j.tag - wall_) / static_cast<double>(j.weight);
  j.capped = false;
  uncapped_tags_.emplace(j.tag, job);
  uncapped_weights_.emplace(j.weight, job);
  uncapped_weight_ += j.weight;
}

// Water-filling after the running set changed (weighted mode: more jobs than cores). The capped jobs are
// always the heaviest k (in (weight, job) order), so the partition moves only at its boundary. The right
// k is the least for which the level L_k = (c − k) / (weight of the others) keeps the heaviest uncapped
// job within its cap (L_k · w <= 1); that condition only gets easier as k grows, so: uncap while k − 1
// would do, then cap while k does not. At most c − 1 jobs are capped: some job always stays uncapped.
inline void SetProcessorSharing::rebalance() {
  assert(static_cast<std::int64_t>(weighted_jobs_.size()) > cores_);
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
    cap(uncapped_weights_.rbegin()->second);
  }
}

inline void SetProcessorSharing::remove_weighted(std::uint32_t job) {
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
  if (static_cast<std::int64_t>(weighted_jobs_.size()) <= cores_) {
    leave_weighted();
    return;
  }
  rebalance();
}

// Done-ness and finish instants in time left (not work left), so that the smallest tag of each set is
// always the first done there.
inline bool SetProcessorSharing::pop_done_weighted(std::uint32_t* job) {
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

inline model::Micros SetProcessorSharing::next_finish_weighted() const {
  model::Micros next = model::kNever;
  const auto instant = [&](double left) {
    if (left <= kSlack) return at_;
    return at_ + static_cast<model::Micros>(std::ceil(left - kSlack));
  };
  if (!uncapped_tags_.empty()) next = std::min(next, instant((uncapped_tags_.begin()->first - virtual_) / level_));
  if (!capped_tags_.empty()) next = std::min(next, instant(capped_tags_.begin()->first - wall_));
  return next;
}

}  // namespace hearth::sim::reference
