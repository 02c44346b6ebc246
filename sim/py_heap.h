// Python's heapq algorithms (heapify, heappush, heappop) on a std::vector, comparison for comparison.
// A simulator ported from Python must reproduce the heap's *layout*, not only its order: the layout
// decides which of several equal-priority items is popped first and where list scans find an item.
// CPython's Lib/heapq.py and its C accelerator _heapqmodule.c make the same comparisons ("<" only;
// siftup moves the smaller child up to a leaf, preferring the right child on a tie, then sifts the
// item back down); for lists longer than 2500 the C heapify visits subtrees in another order but
// builds exactly the same heap, so one algorithm serves both.
// `less(a, b)` must be a strict weak order; cost as in Python: heapify O(n), push/pop O(log n).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace hearth::sim::py {

// heapq._siftdown: moves heap[pos] up towards start while it is less than its parent.
template <class T, class Less>
void siftdown(std::vector<T>& heap, std::size_t start, std::size_t pos, Less& less) {
  T item = std::move(heap[pos]);
  while (pos > start) {
    const std::size_t parent = (pos - 1) >> 1;
    if (!less(item, heap[parent])) break;
    heap[pos] = std::move(heap[parent]);
    pos = parent;
  }
  heap[pos] = std::move(item);
}

// heapq._siftup: bubbles the smaller child up until a leaf, then sifts the item down into place.
template <class T, class Less>
void siftup(std::vector<T>& heap, std::size_t pos, Less& less) {
  const std::size_t end = heap.size();
  const std::size_t start = pos;
  T item = std::move(heap[pos]);
  std::size_t child = 2 * pos + 1;
  while (child < end) {
    const std::size_t right = child + 1;
    if (right < end && !less(heap[child], heap[right])) child = right;
    heap[pos] = std::move(heap[child]);
    pos = child;
    child = 2 * pos + 1;
  }
  heap[pos] = std::move(item);
  siftdown(heap, start, pos, less);
}

template <class T, class Less>
void heapify(std::vector<T>& heap, Less less) {
  for (std::size_t i = heap.size() / 2; i-- > 0;) siftup(heap, i, less);
}

template <class T, class Less>
void heappush(std::vector<T>& heap, T item, Less less) {
  heap.push_back(std::move(item));
  siftdown(heap, 0, heap.size() - 1, less);
}

// Precondition: !heap.empty().
template <class T, class Less>
T heappop(std::vector<T>& heap, Less less) {
  T last = std::move(heap.back());
  heap.pop_back();
  if (heap.empty()) return last;
  T top = std::move(heap.front());
  heap.front() = std::move(last);
  siftup(heap, 0, less);
  return top;
}

}  // namespace hearth::sim::py
