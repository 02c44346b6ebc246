// PyHeapList: a Python list of (priority, item) kept with heapq's operations, as FaasCache's simulator
// keeps its container pool (LambdaScheduler.ContainerPool), reproducing the list's *layout* exactly
// (which of several equal priorities a pop returns, where a scan finds an item) at a fraction of the cost.
//
// Operations and their Python counterparts (comparisons: priority "<" only, as Container.__lt__):
//   heapify()            heapq.heapify(pool)           push(item, p)   heapq.heappush(pool, c)
//   pop()                heapq.heappop(pool)           remove(item)    pool.remove(c) (shifts the tail)
//   set_priority(item,p) c.Priority = p (no reordering) position(item)  pool.index(c)
// Items are dense small integers (at most one position each); positions are list indices.
//
// Why it is faster and still exact: heapq.heapify sifts every internal node, bottom-up, with _siftup
// (the smaller child moves up to a leaf, the item sifts back down). On a node whose subtrees are heaps
// that is a no-op exactly when the node is strictly less than both children; otherwise (a tie with a
// child, or a violation) it moves items. So heapify here checks each node in the same bottom-up order
// (a sequential scan of the priorities, stored inline) and sifts only the unsettled ones: the same
// layout as sifting all of them. Ties are frequent (a function's containers share one priority), and
// each heapify moves them exactly as Python does, so the cost stays O(n) per heapify, as in FaasCache.
// Cost: push/pop O(log n); set_priority O(1); remove O(n) (the list shift); heapify O(n + unsettled·log n).
// CPython's C heapify (cache-friendly order above 2500 items) builds the same heap (see sim/py_heap.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hearth::sim {

class PyHeapList {
 public:
  static constexpr std::uint32_t kAbsent = UINT32_MAX;

  std::size_t size() const { return prio_.size(); }
  bool empty() const { return prio_.empty(); }
  bool contains(std::uint32_t item) const { return item < pos_.size() && pos_[item] != kAbsent; }
  std::uint32_t position(std::uint32_t item) const { return pos_[item]; }  // precondition: contains(item)
  std::uint32_t item_at(std::size_t position) const { return item_[position]; }
  double priority_at(std::size_t position) const { return prio_[position]; }
  double priority(std::uint32_t item) const { return prio_[pos_[item]]; }

  void heapify();
  void push(std::uint32_t item, double priority);  // precondition: !contains(item)
  std::uint32_t pop();                              // precondition: !empty()
  void remove(std::uint32_t item);                  // precondition: contains(item)
  void set_priority(std::uint32_t item, double priority);

  // True when every node is <= its children (for invariant checks).
  bool is_heap() const;

 private:
  void place(std::size_t position, double priority, std::uint32_t item);
  void siftdown(std::size_t start, std::size_t position);      // heapq._siftdown
  void siftup(std::size_t position);                           // heapq._siftup

  std::vector<double> prio_;          // by position
  std::vector<std::uint32_t> item_;   // by position
  std::vector<std::uint32_t> pos_;    // by item
};

}  // namespace hearth::sim
