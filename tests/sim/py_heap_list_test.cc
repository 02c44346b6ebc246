// PyHeapList (sim/py_heap_list.h) against CPython's heapq: hand-checked layouts (printed by python3's
// heapq on the same lists) and a property test against the plain port (sim/py_heap.h), which sifts every
// node on heapify and shifts the list on remove, over random operations with many equal priorities.
#include "sim/py_heap_list.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "sim/py_heap.h"

namespace hearth::sim {
namespace {

std::vector<std::uint32_t> layout(const PyHeapList& h) {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < h.size(); ++i) out.push_back(h.item_at(i));
  return out;
}

// The list [0, 1, ..., n-1], all of one priority (heappush never moves an equal priority up).
PyHeapList equal_priorities(std::uint32_t n, double priority) {
  PyHeapList h;
  for (std::uint32_t i = 0; i < n; ++i) h.push(i, priority);
  return h;
}

TEST(PyHeapList, HeapifyRotatesTiesAsCPython) {
  // Python: h = [a, b, c], all priority 1 (__lt__ on priority only); heapify(h) -> [c, b, a];
  // heappop(h) -> c, leaving [b, a].
  PyHeapList h = equal_priorities(3, 1.0);
  EXPECT_EQ(layout(h), (std::vector<std::uint32_t>{0, 1, 2}));
  h.heapify();
  EXPECT_EQ(layout(h), (std::vector<std::uint32_t>{2, 1, 0}));
  EXPECT_EQ(h.pop(), 2u);
  EXPECT_EQ(layout(h), (std::vector<std::uint32_t>{1, 0}));
}

TEST(PyHeapList, HeapifyOfAStrictHeapChangesNothing) {
  // Python: heapify([1, 2, 3, 4, 5]) leaves it as it is (every node strictly below its children).
  PyHeapList h;
  for (std::uint32_t i = 0; i < 5; ++i) h.push(i, static_cast<double>(i + 1));
  h.heapify();
  EXPECT_EQ(layout(h), (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
  // A priority raised in place (Container.Priority = ...) is sifted down by the next heapify:
  // [9, 2, 3, 4, 5] -> heapify -> [2, 4, 3, 9, 5].
  h.set_priority(0, 9.0);
  h.heapify();
  EXPECT_EQ(layout(h), (std::vector<std::uint32_t>{1, 3, 2, 0, 4}));
  EXPECT_EQ(h.position(0), 3u);
}

TEST(PyHeapList, RemoveShiftsTheListAsListRemove) {
  // Python: h = [1, 2, 3, 4, 5]; h.remove(item of priority 2) -> [1, 3, 4, 5] (not a heap operation).
  PyHeapList h;
  for (std::uint32_t i = 0; i < 5; ++i) h.push(i, static_cast<double>(i + 1));
  h.remove(1);
  EXPECT_EQ(layout(h), (std::vector<std::uint32_t>{0, 2, 3, 4}));
  EXPECT_FALSE(h.contains(1));
  EXPECT_EQ(h.position(4), 3u);
  h.push(1, 0.5);  // heappush: sifts to the root -> [0.5, 1, 4, 5, 3]
  EXPECT_EQ(layout(h), (std::vector<std::uint32_t>{1, 0, 3, 4, 2}));
}

// The plain port: a vector of (priority, item) with py::heapify/heappush/heappop on priority only.
struct PlainList {
  std::vector<std::pair<double, std::uint32_t>> v;
  static bool less(const std::pair<double, std::uint32_t>& a, const std::pair<double, std::uint32_t>& b) {
    return a.first < b.first;
  }
  std::vector<std::uint32_t> layout() const {
    std::vector<std::uint32_t> out;
    for (const auto& [p, item] : v) out.push_back(item);
    return out;
  }
  std::size_t find(std::uint32_t item) const {
    return static_cast<std::size_t>(std::find_if(v.begin(), v.end(), [&](const auto& e) { return e.second == item; }) -
                                    v.begin());
  }
};

RC_GTEST_PROP(PyHeapListProperty, SameLayoutAsSiftingEveryNode, ()) {
  PyHeapList fast;
  PlainList plain;
  std::vector<std::uint32_t> absent;
  const auto items = *rc::gen::inRange<std::uint32_t>(1, 80);
  for (std::uint32_t i = 0; i < items; ++i) absent.push_back(i);
  const int ops = *rc::gen::inRange(0, 300);
  // Few distinct priorities: most comparisons are ties, where the layout is decided.
  const auto priority = [] { return static_cast<double>(*rc::gen::inRange(0, 4)); };
  for (int op = 0; op < ops; ++op) {
    const int kind = *rc::gen::inRange(0, 5);
    if ((kind == 0 || plain.v.empty()) && !absent.empty()) {  // heappush
      const auto k = *rc::gen::inRange<std::size_t>(0, absent.size());
      const std::uint32_t item = absent[k];
      absent.erase(absent.begin() + static_cast<std::ptrdiff_t>(k));
      const double p = priority();
      fast.push(item, p);
      py::heappush(plain.v, {p, item}, PlainList::less);
    } else if (plain.v.empty()) {
      continue;
    } else if (kind == 1) {  // heappop
      const std::uint32_t item = fast.pop();
      RC_ASSERT(item == py::heappop(plain.v, PlainList::less).second);
      absent.push_back(item);
    } else if (kind == 2) {  // list.remove of a random member
      const std::uint32_t item = plain.v[*rc::gen::inRange<std::size_t>(0, plain.v.size())].second;
      fast.remove(item);
      plain.v.erase(plain.v.begin() + static_cast<std::ptrdiff_t>(plain.find(item)));
      absent.push_back(item);
    } else if (kind == 3) {  // Priority assigned in place, breaking the heap
      const std::uint32_t item = plain.v[*rc::gen::inRange<std::size_t>(0, plain.v.size())].second;
      const double p = priority();
      fast.set_priority(item, p);
      plain.v[plain.find(item)].first = p;
    } else {
      fast.heapify();
      py::heapify(plain.v, PlainList::less);
    }
    RC_ASSERT(layout(fast) == plain.layout());
    for (const auto& [p, item] : plain.v) {
      RC_ASSERT(fast.contains(item));
      RC_ASSERT(fast.priority(item) == p);
      RC_ASSERT(fast.position(item) == plain.find(item));
    }
  }
}

}  // namespace
}  // namespace hearth::sim
