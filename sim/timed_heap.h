// TimedHeap: a binary min-heap of small timed entries (instant, insertion number, two 32-bit fields: 24
// bytes, against an Event's 40) in (time, seq) order, for EventQueue's kCpuDone events: a few per node,
// pushed and popped once per completion, so that a pop's walk down the heap moves 24-byte entries (a
// 64-byte line holds the two children of most parents) and compares one key pair per level.
// Pop is Floyd's: the hole goes down to a leaf by the earlier child, then the last entry rises from there
// (about log n + a few comparisons instead of 2 log n). seq is unique, so the order is total and the
// entries come out exactly as from any other heap with the same order (std::priority_queue included).
// Cost: push O(log n) (usually O(1): entries are pushed for about the next finish), pop O(log n).
#pragma once

#include <cstdint>
#include <vector>

#include "model/time.h"

namespace hearth::sim {

class TimedHeap {
 public:
  struct Entry {
    model::Micros time;
    std::uint64_t seq;
    std::uint32_t a;
    std::uint32_t b;
    // Whether this entry comes before one at (time, seq).
    bool before(model::Micros t, std::uint64_t s) const { return time != t ? time < t : seq < s; }
    bool before(const Entry& o) const { return before(o.time, o.seq); }
  };
  static_assert(sizeof(Entry) == 24);

  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Entry& top() const { return heap_.front(); }

  void push(const Entry& e) {
    heap_.push_back(e);
    rise(heap_.size() - 1, e);
  }
  Entry pop() {
    const Entry top = heap_.front();
    const Entry last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return top;
    std::size_t hole = 0;
    for (std::size_t child = 1; child < n; child = 2 * hole + 1) {
      if (child + 1 < n && heap_[child + 1].before(heap_[child])) ++child;
      heap_[hole] = heap_[child];
      hole = child;
    }
    rise(hole, last);
    return top;
  }

 private:
  // Puts `e` in the hole at `hole` or above it, moving the later parents down.
  void rise(std::size_t hole, const Entry& e) {
    while (hole > 0) {
      const std::size_t parent = (hole - 1) / 2;
      if (!e.before(heap_[parent])) break;
      heap_[hole] = heap_[parent];
      hole = parent;
    }
    heap_[hole] = e;
  }

  std::vector<Entry> heap_;
};

}  // namespace hearth::sim
