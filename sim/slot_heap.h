// SlotHeap: a binary min-heap of entries, each naming a slot (a small integer, `Entry::slot`), that can
// remove any slot's entry in O(log n): it keeps every slot's position in a flat vector (no hash map, no
// tree). `Before(a, b)` is a strict total order on the entries held at once (ties broken by an id), so
// top() is the same entry whatever the order of pushes and erases. A slot is in the heap at most once.
// Cost: push, pop, erase O(log n); top O(1); memory one entry per element plus 4 bytes per slot ever used.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace hearth::sim {

template <class Entry, class Before>
class SlotHeap {
 public:
  bool empty() const { return heap_.empty(); }
  std::size_t size() const { return heap_.size(); }
  const Entry& top() const { return heap_.front(); }
  // The entries in heap order (for a full scan).
  const std::vector<Entry>& entries() const { return heap_; }

  void push(const Entry& e) {
    if (e.slot >= pos_.size()) pos_.resize(e.slot + 1);
    heap_.push_back(e);
    up(heap_.size() - 1, e);
  }
  // Removes the entry of `slot` (which must be in the heap).
  void erase(std::uint32_t slot) {
    const std::size_t at = pos_[slot];
    assert(at < heap_.size() && heap_[at].slot == slot);
    const Entry last = heap_.back();
    heap_.pop_back();
    if (at == heap_.size()) return;
    if (at > 0 && Before{}(last, heap_[(at - 1) / 2])) {
      up(at, last);
    } else {
      down(at, last);
    }
  }
  void clear() { heap_.clear(); }

 private:
  void place(std::size_t at, const Entry& e) {
    heap_[at] = e;
    pos_[e.slot] = static_cast<std::uint32_t>(at);
  }
  // Puts `e` in the hole at `hole` or above it, moving the later parents down.
  void up(std::size_t hole, const Entry& e) {
    while (hole > 0) {
      const std::size_t parent = (hole - 1) / 2;
      if (!Before{}(e, heap_[parent])) break;
      place(hole, heap_[parent]);
      hole = parent;
    }
    place(hole, e);
  }
  // Puts `e` in the hole at `hole` or below it, moving the earlier children up.
  void down(std::size_t hole, const Entry& e) {
    const std::size_t n = heap_.size();
    for (std::size_t child = 2 * hole + 1; child < n; child = 2 * hole + 1) {
      if (child + 1 < n && Before{}(heap_[child + 1], heap_[child])) ++child;
      if (!Before{}(heap_[child], e)) break;
      place(hole, heap_[child]);
      hole = child;
    }
    place(hole, e);
  }

  std::vector<Entry> heap_;
  std::vector<std::uint32_t> pos_;  // slot → its index in heap_ (meaningful only while it is there)
};

}  // namespace hearth::sim
