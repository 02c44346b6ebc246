// EventQueue: the simulator's future events, popped in (time, insertion order) order, so runs are
// deterministic. Events are small PODs; no allocation per event beyond the heap's amortised growth.
#pragma once

#include <algorithm>
#include <cstdint>
#include <queue>
#include <vector>

#include "model/time.h"

namespace hearth::sim {

enum class EventType : std::uint8_t {
  kCompletion,   // a: container, b: container generation
  kExpiry,       // a: container, b: container generation
  kPrewarmLoad,  // a: node, b: function, time2: keep until
  kPrewarmTick,  // prewarm policy tick
  kSample,       // metrics series sample
  kContainerReady,  // scaling path: a container's background start-up is done; a: container, b: generation
  kScalingTick,     // scaling policy tick
  kContainerCpuCompletion,  // scaling path: the first job of a container with a CPU quota ends; a: container, b: epoch
  kCpuEnter,        // processor sharing: a job's start-up and waiting are over; a: job
  kCpuDone,         // processor sharing: a node's next job may finish; a: node
  kActiveSample,    // per-second sample of the nodes' active memory
  kPoolTick,        // pool manager tick
  kPoolReady,       // a pool manager's prewarm finished its cold start; a: container, b: generation
};

struct Event {
  model::Micros time = 0;
  std::uint64_t seq = 0;
  EventType type = EventType::kCompletion;
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  model::Micros time2 = 0;
};

// Processor sharing's kCpuDone events (a few per node, always for the node's next finish: near the front)
// live in a heap of their own beside the one of all other events: pushing and popping one then sifts
// through a handful of entries instead of the whole queue. Events further ahead than the current
// bucket (expiries, one per idle container, are most of the queue and lie minutes ahead) wait unsorted in
// a ring of time buckets (kBucketUs wide, kBuckets of them) and enter the near heap when time reaches their
// bucket; events beyond the ring wait in a far heap and enter the near heap when time reaches their bucket.
// So the near heap holds about a bucket's worth of events, not every pending expiry. All heaps draw from
// one insertion counter and top() takes the earlier of the two heaps' tops once the near heap holds
// everything before the current bucket's end, so the order of events is exactly that of a single queue.
// Times must not go below the last popped event's (a discrete-event simulation's events never do).
// Cost: push O(1) into a bucket, O(log n) into a heap; pop O(log near); each event moves at most once from
// a bucket or the far heap to the near heap; top() O(1) amortised (a move crosses empty buckets).
class EventQueue {
 public:
  void push(model::Micros time, EventType type, std::uint32_t a = 0, std::uint32_t b = 0, model::Micros time2 = 0) {
    const Event e{time, next_seq_++, type, a, b, time2};
    if (type == EventType::kCpuDone) {
      cpu_.push(e);
    } else if (time < horizon_) {
      near_.push(e);
    } else if (time - horizon_ < kRingUs) {
      buckets_[bucket_of(time)].push_back(e);
      ++bucketed_;
    } else {
      far_.push(e);
    }
  }
  bool empty() const { return near_.empty() && cpu_.empty() && bucketed_ == 0 && far_.empty(); }
  const Event& top() { return first().top(); }
  Event pop() {
    auto& q = first();
    Event e = q.top();
    q.pop();
    return e;
  }
  std::size_t size() const { return near_.size() + cpu_.size() + bucketed_ + far_.size(); }

 private:
  static constexpr int kBucketBits = 20;  // about 1.05 s
  static constexpr model::Micros kBucketUs = model::Micros{1} << kBucketBits;
  static constexpr std::size_t kBuckets = 4096;  // about 72 minutes
  static constexpr model::Micros kRingUs = kBucketUs * static_cast<model::Micros>(kBuckets);

  struct Later {
    bool operator()(const Event& x, const Event& y) const {
      return x.time != y.time ? x.time > y.time : x.seq > y.seq;
    }
  };
  using Heap = std::priority_queue<Event, std::vector<Event>, Later>;

  static std::size_t bucket_of(model::Micros time) {
    return static_cast<std::size_t>(time >> kBucketBits) & (kBuckets - 1);
  }
  // Moves buckets (and far events) into the near heap until it holds an event or nothing is left.
  void refill() {
    while (near_.empty() && (bucketed_ > 0 || !far_.empty())) {
      if (bucketed_ == 0) horizon_ = std::max(horizon_, far_.top().time & ~(kBucketUs - 1));
      std::vector<Event>& b = buckets_[bucket_of(horizon_)];
      for (const Event& e : b) near_.push(e);
      bucketed_ -= b.size();
      // Its storage goes too (one free per bucket crossed): kept, every bucket would hold its largest
      // lap's room, the ring's length (72 min) of events where the keep-alive (10 min) needs a seventh.
      std::vector<Event>().swap(b);
      horizon_ += kBucketUs;
      while (!far_.empty() && far_.top().time < horizon_) {
        near_.push(far_.top());
        far_.pop();
      }
    }
  }
  // The heap whose top comes first (not all empty). Everything before horizon_ is in near_ (or cpu_), and
  // everything else is at horizon_ or later, so once near_ holds an event its top precedes all but cpu_'s.
  Heap& first() {
    if (near_.empty()) refill();
    if (cpu_.empty()) return near_;
    if (near_.empty()) return cpu_;
    return Later{}(near_.top(), cpu_.top()) ? cpu_ : near_;
  }

  Heap near_;
  Heap cpu_;  // kCpuDone only
  Heap far_;  // beyond the ring
  std::vector<std::vector<Event>> buckets_ = std::vector<std::vector<Event>>(kBuckets);
  std::size_t bucketed_ = 0;
  model::Micros horizon_ = kBucketUs;  // near_ takes every event before it; the ring starts there
  std::uint64_t next_seq_ = 0;
};

}  // namespace hearth::sim
