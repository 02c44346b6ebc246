// PendingInstants: a multiset of instants with O(1) access to the earliest, for one node's pending
// kCpuDone events (sim/engine.cc's arm_cpu / cpu_done). Nearly always it holds one instant, so the
// earliest is stored inline (an array of these, one per node, is one contiguous table) and only the others
// go to a min-heap on the heap: a completion reads one 32-byte entry instead of a vector's header and then
// its separately allocated storage (a cache miss per completion at hundreds of nodes).
// Behaves exactly as a std::vector kept with std::push_heap / std::pop_heap under std::greater (the
// engine's previous representation): front() is the minimum, pop_front() removes one copy of it.
#pragma once

#include <algorithm>
#include <cassert>
#include <functional>
#include <vector>

#include "model/time.h"

namespace hearth::sim {

class PendingInstants {
 public:
  bool empty() const { return !has_front_; }
  std::size_t size() const { return has_front_ ? 1 + rest_.size() : 0; }
  model::Micros front() const {
    assert(has_front_);
    return front_;
  }
  void push(model::Micros t) {
    if (!has_front_) {
      front_ = t;
      has_front_ = true;
      return;
    }
    if (t < front_) std::swap(t, front_);
    rest_.push_back(t);
    std::push_heap(rest_.begin(), rest_.end(), std::greater<>());
  }
  void pop_front() {
    assert(has_front_);
    if (rest_.empty()) {
      has_front_ = false;
      return;
    }
    std::pop_heap(rest_.begin(), rest_.end(), std::greater<>());
    front_ = rest_.back();
    rest_.pop_back();
  }

 private:
  model::Micros front_ = 0;
  bool has_front_ = false;
  std::vector<model::Micros> rest_;  // min-heap of the others (all >= front_)
};

}  // namespace hearth::sim
