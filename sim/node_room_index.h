// NodeRoomIndex: the simulator's index of nodes by room (a healthy node's unreserved memory), so that a
// placement can ask "which nodes have at least m MB unreserved" and "does any" without scanning every node.
// A max segment tree over node ids (leaves padded to a power of two with kNoRoom). An unhealthy node is
// set to kNoRoom by its owner (sim::Cluster), so it is never reported.
// Cost: set O(log n); max O(1); for_each_at_least O((k + 1) · log n) for k nodes reported. Memory: 2 · 8 bytes
// per node (rounded up to a power of two).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "model/time.h"

namespace hearth::sim {

class NodeRoomIndex {
 public:
  static constexpr model::MegaBytes kNoRoom = std::numeric_limits<model::MegaBytes>::min();

  // `nodes` nodes, all at kNoRoom.
  explicit NodeRoomIndex(std::uint32_t nodes);

  void set(std::uint32_t node, model::MegaBytes room);
  model::MegaBytes room(std::uint32_t node) const { return tree_[leaves_ + node]; }
  // The most room of any node (kNoRoom with no nodes).
  model::MegaBytes max() const { return tree_[1]; }
  std::uint32_t size() const { return nodes_; }

  // Calls visit(node) for every node < limit whose room is at least `mb`, in increasing node order,
  // until visit returns false.
  template <class Visit>
  void for_each_at_least(model::MegaBytes mb, std::uint32_t limit, Visit&& visit) const {
    if (limit == 0 || tree_[1] < mb) return;
    // Depth-first, left to right, over subtrees whose max reaches mb and whose first leaf is < limit.
    std::uint32_t stack[64];
    int top = 0;
    stack[top++] = 1;
    while (top > 0) {
      const std::uint32_t i = stack[--top];
      if (tree_[i] < mb) continue;
      // The first leaf under i: i shifted down to the leaf level.
      std::uint32_t first = i;
      while (first < leaves_) first <<= 1;
      if (first - leaves_ >= limit) continue;
      if (i >= leaves_) {
        if (!visit(i - leaves_)) return;
        continue;
      }
      stack[top++] = 2 * i + 1;  // right after left
      stack[top++] = 2 * i;
    }
  }

 private:
  std::uint32_t nodes_;
  std::uint32_t leaves_;  // a power of two >= nodes_ (at least 1)
  std::vector<model::MegaBytes> tree_;  // 1-based heap layout: children of i at 2i, 2i+1; leaves at [leaves_, 2·leaves_)
};

}  // namespace hearth::sim
