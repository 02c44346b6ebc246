// EventQueue: the simulator's future events, popped in (time, insertion order) order, so runs are
// deterministic. Events are small PODs; no allocation per event beyond the heap's amortised growth.
#pragma once

#include <algorithm>
#include <cstdint>
#include <queue>
#include <vector>

#include "model/time.h"
#include "sim/cpu_event_calendar.h"

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
  kCpuDone,         // processor sharing: a node's next job may finish; a: node, b: a hint (its next job when armed)
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
// live in a calendar of their own beside the other events (sim/cpu_event_calendar.h: 24-byte entries in
// 256-µs buckets and a small heap for the current one), so that pushing and popping one touches a handful
// of entries instead of a heap over every busy node. Events further ahead than the current
// bucket (expiries, one per idle container, are most of the queue and lie minutes ahead) wait unsorted in
// a ring of time buckets (kBucketUs wide, kBuckets of them); when time reaches a bucket, its events are
// sorted once into the current run, popped from its front in order (a sort of a contiguous array instead
// of a heap pop per event through a heap of the bucket's size, whose lower levels miss the cache).
// Events pushed for before the current bucket's end go to a small near heap; events beyond the ring wait
// in a far heap and join the near heap when time reaches their bucket. All draw from one insertion
// counter and top() takes the earliest of the run's front, the near heap's top and the calendar's once
// the run and the near heap hold everything before the current bucket's end, so the order of events is
// exactly that of a single queue (time, then insertion).
// Times must not go below the last popped event's (a discrete-event simulation's events never do).
// Cost: push O(1) into a bucket, O(log n) into a heap; a bucket's events O(log b) each to sort, O(1) to
// pop; each event moves at most once from a bucket or the far heap; top() O(1) amortised (a move crosses
// empty buckets).
class EventQueue {
 public:
  void push(model::Micros time, EventType type, std::uint32_t a = 0, std::uint32_t b = 0, model::Micros time2 = 0) {
    const Event e{time, next_seq_++, type, a, b, time2};
    if (type == EventType::kCpuDone) {
      cpu_.push(TimedHeap::Entry{time, e.seq, a, b});
    } else if (time < horizon_) {
      near_.push(e);
    } else if (time - horizon_ < kRingUs) {
      buckets_[bucket_of(time)].push_back(e);
      ++bucketed_;
    } else {
      far_.push(e);
    }
  }
  bool empty() const { return run_pos_ == run_.size() && near_.empty() && cpu_.empty() && bucketed_ == 0 && far_.empty(); }
  // The next event (a copy: kCpuDone events are stored compactly).
  Event top() { return front(first()); }
  Event pop() { return take(first()); }
  // Pops the next event into *e if there is one at or before `t` (top() and pop() in one look); false
  // otherwise.
  bool pop_until(model::Micros t, Event* e) {
    if (empty()) return false;
    const Source from = first();
    if (front(from).time > t) return false;
    *e = take(from);
    return true;
  }
  std::size_t size() const {
    return (run_.size() - run_pos_) + near_.size() + cpu_.size() + bucketed_ + far_.size();
  }

 private:
  static constexpr int kBucketBits = 20;  // about 1.05 s
  static constexpr model::Micros kBucketUs = model::Micros{1} << kBucketBits;
  static constexpr std::size_t kBuckets = 4096;  // about 72 minutes
  static constexpr model::Micros kRingUs = kBucketUs * static_cast<model::Micros>(kBuckets);

  // The queue's order: time, then insertion (seq is unique, so the order is total).
  struct Earlier {
    bool operator()(const Event& x, const Event& y) const {
      return x.time != y.time ? x.time < y.time : x.seq < y.seq;
    }
  };
  struct Later {
    bool operator()(const Event& x, const Event& y) const { return Earlier{}(y, x); }
  };
  using Heap = std::priority_queue<Event, std::vector<Event>, Later>;
  enum class Source : std::uint8_t { kRun, kNear, kCpu };

  Event front(Source from) {
    switch (from) {
      case Source::kRun: return run_[run_pos_];
      case Source::kNear: return near_.top();
      case Source::kCpu: break;
    }
    return cpu_event(cpu_.top());
  }
  Event take(Source from) {
    switch (from) {
      case Source::kRun: return run_[run_pos_++];
      case Source::kNear: return take(near_);
      case Source::kCpu: break;
    }
    return cpu_event(cpu_.pop());
  }
  static Event cpu_event(const TimedHeap::Entry& e) { return Event{e.time, e.seq, EventType::kCpuDone, e.a, e.b, 0}; }
  static Event take(Heap& h) {
    Event e = h.top();
    h.pop();
    return e;
  }
  static std::size_t bucket_of(model::Micros time) {
    return static_cast<std::size_t>(time >> kBucketBits) & (kBuckets - 1);
  }
  // Sorts buckets into the run (and far events into the near heap) until the run or the near heap
  // holds an event or nothing is left.
  void refill() {
    while (run_pos_ == run_.size() && near_.empty() && (bucketed_ > 0 || !far_.empty())) {
      if (bucketed_ == 0) horizon_ = std::max(horizon_, far_.top().time & ~(kBucketUs - 1));
      std::vector<Event>& b = buckets_[bucket_of(horizon_)];
      bucketed_ -= b.size();
      // The bucket's storage becomes the run, the run's goes (one free per bucket crossed): kept, every
      // bucket would hold its largest lap's room, the ring's length (72 min) of events where the
      // keep-alive (10 min) needs a seventh.
      run_.swap(b);
      std::vector<Event>().swap(b);
      run_pos_ = 0;
      std::sort(run_.begin(), run_.end(), Earlier{});
      horizon_ += kBucketUs;
      while (!far_.empty() && far_.top().time < horizon_) near_.push(take(far_));
    }
  }
  // The source whose next event comes first (not all empty). Everything before horizon_ is in the run,
  // near_ or cpu_, and everything else is at horizon_ or later, so once the run or near_ holds an event
  // the earliest of the three fronts precedes every other event.
  Source first() {
    if (run_pos_ == run_.size() && near_.empty()) refill();
    const Event* best = nullptr;
    Source from = Source::kCpu;
    if (run_pos_ < run_.size()) best = &run_[run_pos_], from = Source::kRun;
    if (!near_.empty() && (!best || Earlier{}(near_.top(), *best))) best = &near_.top(), from = Source::kNear;
    if (!cpu_.empty() && (!best || cpu_.top().before(best->time, best->seq))) from = Source::kCpu;
    return from;
  }

  std::vector<Event> run_;  // the current bucket's events, sorted; popped from run_pos_
  std::size_t run_pos_ = 0;
  Heap near_;  // events pushed for before horizon_ (and far ones whose bucket came)
  CpuEventCalendar cpu_;  // kCpuDone only (compact: type and time2 are implied)
  Heap far_;   // beyond the ring
  std::vector<std::vector<Event>> buckets_ = std::vector<std::vector<Event>>(kBuckets);
  std::size_t bucketed_ = 0;
  model::Micros horizon_ = kBucketUs;  // the run and near_ take every event before it; the ring starts there
  std::uint64_t next_seq_ = 0;
};

}  // namespace hearth::sim
