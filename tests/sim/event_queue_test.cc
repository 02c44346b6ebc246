#include "sim/event_queue.h"

#include <algorithm>
#include <functional>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "sim/cpu_event_calendar.h"
#include "sim/pending_instants.h"
#include "sim/timed_heap.h"

#include <queue>
#include <tuple>
#include <vector>

namespace hearth::sim {
namespace {

using model::Micros;

// The order every event queue must give: (time, insertion order).
struct Reference {
  struct Later {
    bool operator()(const Event& x, const Event& y) const {
      return std::tie(x.time, x.seq) > std::tie(y.time, y.seq);
    }
  };
  std::priority_queue<Event, std::vector<Event>, Later> heap;
  std::uint64_t seq = 0;
  void push(Micros t, EventType type, std::uint32_t a) { heap.push(Event{t, seq++, type, a, 0, 0}); }
};

TEST(EventQueue, NearRingAndFarEventsComeOutInTimeThenInsertionOrder) {
  EventQueue q;
  constexpr Micros kHour = 3600LL * 1000 * 1000;
  q.push(5 * kHour, EventType::kExpiry, 1);         // beyond the ring (72 min): the far heap
  q.push(10 * 60 * 1000 * 1000, EventType::kExpiry, 2);  // 10 min: a bucket
  q.push(500, EventType::kCompletion, 3);            // this bucket: the near heap
  q.push(500, EventType::kCpuDone, 4);               // same instant, later: after 3
  q.push(10 * 60 * 1000 * 1000, EventType::kSample, 5);  // same bucket and instant as 2: after it
  q.push(200, EventType::kCpuDone, 6);
  std::vector<std::uint32_t> order;
  while (!q.empty()) {
    const Event e = q.pop();
    order.push_back(e.a);
    if (e.a == 3) q.push(5 * kHour, EventType::kCompletion, 7);  // after 1 (same time, pushed later)
  }
  EXPECT_EQ(order, (std::vector<std::uint32_t>{6, 3, 4, 2, 5, 1, 7}));
}

// Against a single binary heap: random interleavings of pushes at or after the current time (near, a few
// buckets, minutes or hours ahead, kCpuDone or not), pops and pop_until give the same events in the same
// order.
RC_GTEST_PROP(EventQueueProperty, PopsInTheOrderOfOneHeap, ()) {
  EventQueue q;
  Reference ref;
  Micros now = 0;
  const auto steps = *rc::gen::inRange(1, 400);
  for (int i = 0; i < steps; ++i) {
    if (*rc::gen::inRange(0, 3) > 0) {
      const auto scale = *rc::gen::element<Micros>(0, 1000, 1 << 20, 60LL * 1000 * 1000, 3LL * 3600 * 1000 * 1000);
      const Micros t = now + (scale == 0 ? 0 : *rc::gen::inRange<Micros>(0, 3 * scale));
      const EventType type = *rc::gen::element(EventType::kCompletion, EventType::kExpiry, EventType::kCpuDone);
      q.push(t, type, static_cast<std::uint32_t>(i));
      ref.push(t, type, static_cast<std::uint32_t>(i));
    } else if (!ref.heap.empty() && *rc::gen::arbitrary<bool>()) {
      // pop_until(t): the next event if it is at or before t, else nothing (and the queue unchanged).
      const Micros t = now + *rc::gen::inRange<Micros>(0, 1 << 21);
      const Event want = ref.heap.top();
      Event got;
      RC_ASSERT(q.pop_until(t, &got) == (want.time <= t));
      if (want.time <= t) {
        ref.heap.pop();
        RC_ASSERT(got.time == want.time);
        RC_ASSERT(got.a == want.a);
        now = got.time;
      }
    } else if (!ref.heap.empty()) {
      RC_ASSERT(!q.empty());
      const Event got = q.pop();
      const Event want = ref.heap.top();
      ref.heap.pop();
      RC_ASSERT(got.time == want.time);
      RC_ASSERT(got.a == want.a);
      now = got.time;
    }
    RC_ASSERT(q.size() == ref.heap.size());
  }
  while (!ref.heap.empty()) {
    RC_ASSERT(q.pop().a == ref.heap.top().a);
    ref.heap.pop();
  }
  RC_ASSERT(q.empty());
}

// Random pushes at `now` plus a span drawn from `scales` (0: the current instant; many pushes land on the
// same instant, so the insertion number decides) interleaved with pops: `q` (a TimedHeap or a
// CpuEventCalendar) gives the same entries in the same order as std::priority_queue of full events.
template <class Queue>
void check_pops_as_a_priority_queue(Queue& q, Micros now, const std::vector<Micros>& scales) {
  Reference ref;
  const auto steps = *rc::gen::inRange(1, 800);
  for (int i = 0; i < steps; ++i) {
    if (ref.heap.empty() || *rc::gen::inRange(0, 5) < 3) {
      const Micros scale = *rc::gen::elementOf(scales);
      const Micros t = now + (scale == 0 ? 0 : *rc::gen::inRange<Micros>(0, 2 * scale));
      q.push(TimedHeap::Entry{t, ref.seq, static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(7 * i)});
      ref.push(t, EventType::kCpuDone, static_cast<std::uint32_t>(i));
    } else {
      RC_ASSERT(q.top().seq == ref.heap.top().seq);
      const TimedHeap::Entry got = q.pop();
      RC_ASSERT(got.time == ref.heap.top().time);
      RC_ASSERT(got.a == ref.heap.top().a);
      RC_ASSERT(got.b == 7 * got.a);
      now = got.time;
      ref.heap.pop();
    }
    RC_ASSERT(q.size() == ref.heap.size());
  }
  while (!ref.heap.empty()) {
    RC_ASSERT(q.pop().seq == ref.heap.top().seq);
    ref.heap.pop();
  }
  RC_ASSERT(q.empty());
}

// The compact heap (kCpuDone entries without type and time2; Floyd's pop).
RC_GTEST_PROP(TimedHeapProperty, PopsAsAPriorityQueue, ()) {
  TimedHeap h;
  check_pops_as_a_priority_queue(h, 0, {0, 2, 1000, 1 << 20});
}

// An event pushed beyond the ring (the overflow heap) comes before a later one that, pushed after time
// moved on, fell in one of the ring's buckets; and an event at the current instant before both.
TEST(CpuEventCalendar, OverflowEventsComeBeforeLaterBucketedOnes) {
  CpuEventCalendar c;
  constexpr Micros kMs = 1000;
  c.push(TimedHeap::Entry{1200 * kMs, 0, 1, 0});  // more than the ring (1.05 s) ahead: the overflow
  c.push(TimedHeap::Entry{500 * kMs, 1, 2, 0});   // a bucket
  EXPECT_EQ(c.pop().a, 2u);                       // now 0.5 s
  c.push(TimedHeap::Entry{1300 * kMs, 2, 3, 0});  // within the ring now: a bucket
  c.push(TimedHeap::Entry{500 * kMs, 3, 4, 0});   // the current instant: the small heap
  EXPECT_EQ(c.pop().a, 4u);
  EXPECT_EQ(c.pop().a, 1u);
  EXPECT_EQ(c.pop().a, 3u);
  EXPECT_TRUE(c.empty());
}

// The kCpuDone events' calendar, with pushes from the current instant to an hour ahead: the small heap,
// the ring's buckets at any lap position (a start hours in), the overflow beyond the ring (1.05 s).
RC_GTEST_PROP(CpuEventCalendarProperty, PopsAsAPriorityQueue, ()) {
  CpuEventCalendar c;
  const Micros start = *rc::gen::element<Micros>(0, 5000, 3LL * 3600 * 1000 * 1000 + 777);
  check_pops_as_a_priority_queue(c, start, {0, 3, 256, 100000, 600000, 1100000, 60LL * 1000 * 1000});
}

// A node's pending kCpuDone instants against the engine's previous representation (a vector kept as a
// min-heap with std::push_heap / std::pop_heap): the same front after every push and pop, duplicates
// included.
RC_GTEST_PROP(PendingInstantsProperty, AgreesWithAVectorHeap, ()) {
  PendingInstants p;
  std::vector<Micros> ref;
  const auto steps = *rc::gen::inRange(1, 300);
  for (int i = 0; i < steps; ++i) {
    if (ref.empty() || *rc::gen::arbitrary<bool>()) {
      const Micros t = *rc::gen::inRange<Micros>(0, 20);
      p.push(t);
      ref.push_back(t);
      std::push_heap(ref.begin(), ref.end(), std::greater<>());
    } else {
      std::pop_heap(ref.begin(), ref.end(), std::greater<>());
      ref.pop_back();
      p.pop_front();
    }
    RC_ASSERT(p.size() == ref.size());
    RC_ASSERT(p.empty() == ref.empty());
    if (!ref.empty()) RC_ASSERT(p.front() == ref.front());
  }
}

}  // namespace
}  // namespace hearth::sim
