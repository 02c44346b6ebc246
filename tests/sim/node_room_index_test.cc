#include "sim/node_room_index.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <vector>

namespace hearth::sim {
namespace {

std::vector<std::uint32_t> at_least(const NodeRoomIndex& index, model::MegaBytes mb, std::uint32_t limit) {
  std::vector<std::uint32_t> out;
  index.for_each_at_least(mb, limit, [&](std::uint32_t n) {
    out.push_back(n);
    return true;
  });
  return out;
}

TEST(NodeRoomIndex, ReportsTheNodesWithEnoughRoomInOrder) {
  NodeRoomIndex index(5);  // 8 leaves: the 3 padding ones are never reported
  EXPECT_EQ(index.max(), NodeRoomIndex::kNoRoom);
  EXPECT_TRUE(at_least(index, NodeRoomIndex::kNoRoom + 1, 5).empty());
  index.set(0, 100);
  index.set(1, 700);
  index.set(2, 300);
  index.set(3, 0);
  index.set(4, 512);
  EXPECT_EQ(index.max(), 700);
  EXPECT_EQ(at_least(index, 300, 5), (std::vector<std::uint32_t>{1, 2, 4}));
  EXPECT_EQ(at_least(index, 512, 5), (std::vector<std::uint32_t>{1, 4}));
  EXPECT_EQ(at_least(index, 701, 5), (std::vector<std::uint32_t>{}));
  EXPECT_EQ(at_least(index, 0, 5), (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(at_least(index, -50, 5), (std::vector<std::uint32_t>{0, 1, 2, 3, 4}));
  // A limit keeps the first nodes only.
  EXPECT_EQ(at_least(index, 300, 2), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(at_least(index, 300, 1), (std::vector<std::uint32_t>{}));
  EXPECT_EQ(at_least(index, 300, 0), (std::vector<std::uint32_t>{}));
  // Lowering the largest lowers the max; a node at kNoRoom (failed) is never reported.
  index.set(1, NodeRoomIndex::kNoRoom);
  EXPECT_EQ(index.max(), 512);
  EXPECT_EQ(at_least(index, 0, 5), (std::vector<std::uint32_t>{0, 2, 3, 4}));
  EXPECT_EQ(index.room(1), NodeRoomIndex::kNoRoom);
  EXPECT_EQ(index.room(4), 512);
  // Negative room (over-reserved) is still room: less than any request.
  index.set(3, -200);
  EXPECT_EQ(at_least(index, -100, 5), (std::vector<std::uint32_t>{0, 2, 4}));
}

TEST(NodeRoomIndex, VisitStopsWhenAsked) {
  NodeRoomIndex index(4);
  for (std::uint32_t i = 0; i < 4; ++i) index.set(i, 1000);
  std::vector<std::uint32_t> seen;
  index.for_each_at_least(10, 4, [&](std::uint32_t n) {
    seen.push_back(n);
    return seen.size() < 2;
  });
  EXPECT_EQ(seen, (std::vector<std::uint32_t>{0, 1}));
}

TEST(NodeRoomIndex, OneNode) {
  NodeRoomIndex index(1);
  index.set(0, 5);
  EXPECT_EQ(index.max(), 5);
  EXPECT_EQ(at_least(index, 5, 1), (std::vector<std::uint32_t>{0}));
  EXPECT_EQ(at_least(index, 6, 1), (std::vector<std::uint32_t>{}));
}

// Against a plain array after any sequence of updates: the same nodes, in the same order, and the same max.
RC_GTEST_PROP(NodeRoomIndexProperty, MatchesAScan, ()) {
  const auto n = *rc::gen::inRange<std::uint32_t>(1, 300);
  NodeRoomIndex index(n);
  std::vector<model::MegaBytes> rooms(n, NodeRoomIndex::kNoRoom);
  const int steps = *rc::gen::inRange(1, 400);
  for (int s = 0; s < steps; ++s) {
    const auto node = *rc::gen::inRange<std::uint32_t>(0, n);
    const model::MegaBytes room =
        *rc::gen::inRange(0, 10) == 0 ? NodeRoomIndex::kNoRoom : *rc::gen::inRange<model::MegaBytes>(-500, 2000);
    index.set(node, room);
    rooms[node] = room;
    const auto mb = *rc::gen::inRange<model::MegaBytes>(-100, 2100);
    const auto limit = *rc::gen::inRange<std::uint32_t>(0, n + 1);
    std::vector<std::uint32_t> expected;
    for (std::uint32_t i = 0; i < limit; ++i)
      if (rooms[i] >= mb) expected.push_back(i);
    RC_ASSERT(at_least(index, mb, limit) == expected);
    model::MegaBytes max = NodeRoomIndex::kNoRoom;
    for (const auto r : rooms) max = std::max(max, r);
    RC_ASSERT(index.max() == max);
  }
}

}  // namespace
}  // namespace hearth::sim
