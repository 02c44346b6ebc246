#include "sim/node_room_index.h"

#include <algorithm>
#include <cassert>

namespace hearth::sim {

NodeRoomIndex::NodeRoomIndex(std::uint32_t nodes) : nodes_(nodes), leaves_(1) {
  while (leaves_ < nodes) leaves_ <<= 1;
  tree_.assign(2 * static_cast<std::size_t>(leaves_), kNoRoom);
}

void NodeRoomIndex::set(std::uint32_t node, model::MegaBytes room) {
  assert(node < nodes_);
  std::uint32_t i = leaves_ + node;
  tree_[i] = room;
  for (i >>= 1; i >= 1; i >>= 1) {
    const model::MegaBytes m = std::max(tree_[2 * i], tree_[2 * i + 1]);
    if (tree_[i] == m) break;  // the maxima above are unchanged too
    tree_[i] = m;
  }
}

}  // namespace hearth::sim
