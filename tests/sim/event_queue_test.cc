#include "sim/event_queue.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

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

}  // namespace
}  // namespace hearth::sim
