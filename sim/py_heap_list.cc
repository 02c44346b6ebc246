#include "sim/py_heap_list.h"

#include <algorithm>

namespace hearth::sim {

void PyHeapList::place(std::size_t position, double priority, std::uint32_t item) {
  prio_[position] = priority;
  item_[position] = item;
  pos_[item] = static_cast<std::uint32_t>(position);
}

void PyHeapList::siftdown(std::size_t start, std::size_t position) {
  const double priority = prio_[position];
  const std::uint32_t item = item_[position];
  while (position > start) {
    const std::size_t parent = (position - 1) >> 1;
    if (!(priority < prio_[parent])) break;
    place(position, prio_[parent], item_[parent]);
    position = parent;
  }
  place(position, priority, item);
}

void PyHeapList::siftup(std::size_t position) {
  const std::size_t end = prio_.size();
  const std::size_t start = position;
  const double priority = prio_[position];
  const std::uint32_t item = item_[position];
  std::size_t child = 2 * position + 1;
  while (child < end) {
    const std::size_t right = child + 1;
    if (right < end && !(prio_[child] < prio_[right])) child = right;
    place(position, prio_[child], item_[child]);
    position = child;
    child = 2 * position + 1;
  }
  place(position, priority, item);
  siftdown(start, position);
}

void PyHeapList::heapify() {
  // heapq.heapify sifts n/2-1 .. 0; on a settled node (strictly below both children) that is a no-op.
  const std::size_t n = prio_.size();
  const double* p = prio_.data();
  for (std::size_t k = n / 2; k-- > 0;) {
    const std::size_t left = 2 * k + 1;
    if (p[k] < p[left] && (left + 1 >= n || p[k] < p[left + 1])) continue;
    siftup(k);
  }
}

void PyHeapList::push(std::uint32_t item, double priority) {
  if (item >= pos_.size()) pos_.resize(item + 1, kAbsent);
  prio_.push_back(priority);
  item_.push_back(item);
  pos_[item] = static_cast<std::uint32_t>(prio_.size() - 1);
  siftdown(0, prio_.size() - 1);
}

std::uint32_t PyHeapList::pop() {
  const double last_priority = prio_.back();
  const std::uint32_t last = item_.back();
  prio_.pop_back();
  item_.pop_back();
  pos_[last] = kAbsent;
  if (prio_.empty()) return last;
  const std::uint32_t top = item_[0];
  pos_[top] = kAbsent;
  place(0, last_priority, last);
  siftup(0);
  return top;
}

void PyHeapList::remove(std::uint32_t item) {
  const std::size_t r = pos_[item];
  prio_.erase(prio_.begin() + static_cast<std::ptrdiff_t>(r));
  item_.erase(item_.begin() + static_cast<std::ptrdiff_t>(r));
  pos_[item] = kAbsent;
  for (std::size_t p = r; p < prio_.size(); ++p) pos_[item_[p]] = static_cast<std::uint32_t>(p);
}

void PyHeapList::set_priority(std::uint32_t item, double priority) {
  prio_[pos_[item]] = priority;
}

bool PyHeapList::is_heap() const {
  for (std::size_t i = 1; i < prio_.size(); ++i)
    if (prio_[i] < prio_[(i - 1) >> 1]) return false;
  return true;
}

}  // namespace hearth::sim
