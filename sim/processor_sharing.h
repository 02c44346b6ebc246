// ProcessorSharing: one node's CPU shared by the invocations running on it, as a kernel scheduler shares
// cores between single-threaded processes in cgroups with CPU weights (Docker's --cpu-shares). Each job
// has a weight w (a positive integer; 1 when every job has the same share) and never runs faster than one
// core. With n jobs on c cores: if n <= c every job runs at one core; otherwise the cores are water-filled:
// a level L with sum over jobs of min(1, L·w) = c, and each job progresses at min(1, L·w) µs of CPU work
// per µs. The jobs at their one-core cap are the heaviest ones. With equal weights this is min(1, c/n) each,
// so a job's execution stretches while the node is over-committed instead of waiting in a queue.
//
// Kept in virtual time (GPS). The fast path, whenever no more jobs run than cores or every job added
// since the node was last idle (or left the weighted mode) has the same weight (every one then runs at
// min(1, c/n) whatever the weight): V is the CPU work each running
// job has received since the node was last idle, advanced at min(1, c/n); a job added at V with w µs of
// work finishes when V reaches its tag V + w, and tags sit in a min-heap, so the next job to finish is
// the top, whatever the running set does. Weighted (from the moment more jobs than cores run with
// different weights until no more than the cores run again): V advances at L per µs and an uncapped
// job's tag is V + work/w; the capped jobs are tracked apart in wall time (their tag: the µs of the busy
// period at which they finish). When the running set changes, the level is recomputed and jobs that
// cross their cap move between the two sets with their remaining work (only those whose cap status
// changes). Entering and leaving the weighted mode converts every running job's remaining work.
// Jobs all of weight 1 (`--cpu-weights equal`) never leave the fast path: the same arithmetic as before
// weights existed, bit for bit.
// Cost: fast path: add and pop_done O(log n) (a 4-ary heap), next_finish O(1), advance O(1). Weighted:
// O(log n) per job moved between sets (binary heaps over job slots, sim/slot_heap.h: no tree, no hash
// map), O(n log n) per switch of mode. Independent of
// other nodes.
// Virtual work is a double internally (reset to 0 whenever the node goes idle); instants are int64 µs and
// finish instants round up to the µs, so a finish comes under 1 µs after its exact GPS instant (and the
// job's share held meanwhile delays the others slightly: tests/sim/processor_sharing_test.cc bounds it).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "model/time.h"
#include "sim/slot_heap.h"

namespace hearth::sim {

class ProcessorSharing {
 public:
  explicit ProcessorSharing(std::int32_t cores) : cores_(cores) {}

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
    return static_cast<std::int32_t>(weighted_ ? slots_.size() - free_slots_.size() : heap_.size());
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
  // A job of the weighted sets, in a slot of slots_: its tag (virtual when uncapped, wall µs of the busy
  // period when capped), id, weight, and whether it runs at its one-core cap.
  struct WeightedJob {
    double tag;
    std::uint32_t job;
    std::uint32_t weight;
    bool capped;
  };
  // The sets' entries carry their keys, so that comparisons read no slot. Orders as std::pair's
  // operator< on (tag, job) and (weight, job): strict and total (job ids are distinct).
  struct TagEntry {
    double tag;
    std::uint32_t job;
    std::uint32_t slot;
  };
  struct WeightEntry {
    std::uint32_t weight;
    std::uint32_t job;
    std::uint32_t slot;
  };
  struct EarlierTag {
    bool operator()(const TagEntry& a, const TagEntry& b) const {
      return a.tag < b.tag || (!(b.tag < a.tag) && a.job < b.job);
    }
  };
  struct Lighter {
    bool operator()(const WeightEntry& a, const WeightEntry& b) const {
      return a.weight != b.weight ? a.weight < b.weight : a.job < b.job;
    }
  };
  struct Heavier {
    bool operator()(const WeightEntry& a, const WeightEntry& b) const { return Lighter{}(b, a); }
  };

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
  void insert_weighted(const WeightedJob& j);
  void remove_weighted(std::uint32_t slot);
  void rebalance();
  void cap(std::uint32_t slot);
  void uncap(std::uint32_t slot);

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
  std::vector<WeightedJob> slots_;          // the weighted jobs, by slot
  std::vector<std::uint32_t> free_slots_;  // slots of slots_ not in use
  SlotHeap<TagEntry, EarlierTag> uncapped_tags_, capped_tags_;  // top: the next to finish in each set
  SlotHeap<WeightEntry, Heavier> uncapped_weights_;             // top: the heaviest uncapped job
  SlotHeap<WeightEntry, Lighter> capped_weights_;               // top: the lightest capped job
};

}  // namespace hearth::sim
