// EventQueue: the simulator's future events, popped in (time, insertion order) order, so runs are
// deterministic. Events are small PODs; no allocation per event beyond the heap's amortised growth.
#pragma once

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
// live in a heap of their own beside the one of all other events (expiries, one per idle container, are
// most of those): pushing and popping one then sifts through a handful of entries instead of the whole
// queue. Both heaps draw from one insertion counter and top() takes the earlier of their tops, so the
// order of events is exactly that of a single queue.
// Cost: push and pop O(log n) in the heap the event goes to; top() O(1).
class EventQueue {
 public:
  void push(model::Micros time, EventType type, std::uint32_t a = 0, std::uint32_t b = 0, model::Micros time2 = 0) {
    (type == EventType::kCpuDone ? cpu_ : heap_).push(Event{time, next_seq_++, type, a, b, time2});
  }
  bool empty() const { return heap_.empty() && cpu_.empty(); }
  const Event& top() const { return first().top(); }
  Event pop() {
    auto& q = first();
    Event e = q.top();
    q.pop();
    return e;
  }
  std::size_t size() const { return heap_.size() + cpu_.size(); }

 private:
  struct Later {
    bool operator()(const Event& x, const Event& y) const {
      return x.time != y.time ? x.time > y.time : x.seq > y.seq;
    }
  };
  using Heap = std::priority_queue<Event, std::vector<Event>, Later>;
  // The heap whose top comes first (not both empty).
  const Heap& first() const {
    if (cpu_.empty()) return heap_;
    if (heap_.empty()) return cpu_;
    return Later{}(heap_.top(), cpu_.top()) ? cpu_ : heap_;
  }
  Heap& first() { return const_cast<Heap&>(static_cast<const EventQueue*>(this)->first()); }

  Heap heap_;
  Heap cpu_;  // kCpuDone only
  std::uint64_t next_seq_ = 0;
};

}  // namespace hearth::sim
