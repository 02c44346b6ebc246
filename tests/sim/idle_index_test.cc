#include "sim/idle_index.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace hearth::sim {
namespace {

std::vector<std::uint32_t> nodes_of(const IdleIndex& index, std::uint32_t fn) {
  std::vector<std::uint32_t> out;
  index.for_each_node(fn, [&](std::uint32_t n) { out.push_back(n); });
  return out;
}

TEST(IdleIndex, NewestOldestCountsAndNodeOrder) {
  IdleIndex index(3);
  EXPECT_EQ(index.newest(0, 0), IdleIndex::kNil);
  index.add(10, 0, 5);
  index.add(11, 0, 2);
  index.add(12, 0, 5);
  index.add(13, 1, 5);
  EXPECT_EQ(index.count(0, 5), 2);
  EXPECT_EQ(index.count(0, 2), 1);
  EXPECT_EQ(index.count(1, 5), 1);
  EXPECT_EQ(index.count(2, 5), 0);
  EXPECT_EQ(index.newest(0, 5), 12u);
  EXPECT_EQ(index.oldest(0, 5), 10u);
  EXPECT_EQ(nodes_of(index, 0), (std::vector<std::uint32_t>{5, 2}));
  // Node 5 loses both: it drops out, and rejoins at the end.
  index.remove(12);
  index.remove(10);
  EXPECT_EQ(index.count(0, 5), 0);
  EXPECT_EQ(index.newest(0, 5), IdleIndex::kNil);
  EXPECT_EQ(nodes_of(index, 0), (std::vector<std::uint32_t>{2}));
  index.add(10, 0, 5);
  EXPECT_EQ(nodes_of(index, 0), (std::vector<std::uint32_t>{2, 5}));
  std::vector<std::pair<std::uint32_t, std::uint32_t>> all;
  index.for_each(0, [&](std::uint32_t n, IdleIndex::Id id) { all.emplace_back(n, id); });
  EXPECT_EQ(all, (std::vector<std::pair<std::uint32_t, std::uint32_t>>{{2, 11}, {5, 10}}));
  EXPECT_EQ(nodes_of(index, 1), (std::vector<std::uint32_t>{5}));
}

// Against the list the cluster kept before the index (every idle container in idle order, scanned):
// random adds and removes over many (function, node) pairs, enough to grow and shrink the hash table,
// give the same newest, oldest, counts and node order.
RC_GTEST_PROP(IdleIndexProperty, AgreesWithAScannedList, ()) {
  const auto functions = *rc::gen::inRange<std::uint32_t>(1, 6);
  const auto nodes = *rc::gen::inRange<std::uint32_t>(1, 200);
  IdleIndex index(functions);
  struct Idle {
    std::uint32_t id, fn, node;
  };
  std::vector<Idle> list;
  std::vector<std::vector<std::uint32_t>> order(functions);  // the old per-function node list
  const auto holds = [&](std::uint32_t fn, std::uint32_t node) {
    return std::any_of(list.begin(), list.end(), [&](const Idle& c) { return c.fn == fn && c.node == node; });
  };
  std::vector<std::uint32_t> free_ids;
  std::uint32_t next_id = 0;
  const auto steps = *rc::gen::inRange(1, 600);
  for (int i = 0; i < steps; ++i) {
    if (list.empty() || *rc::gen::inRange(0, 5) < 3) {
      std::uint32_t id = next_id++;
      if (!free_ids.empty() && *rc::gen::arbitrary<bool>()) {
        id = free_ids.back();
        free_ids.pop_back();
      }
      const Idle c{id, *rc::gen::inRange<std::uint32_t>(0, functions), *rc::gen::inRange<std::uint32_t>(0, nodes)};
      if (!holds(c.fn, c.node)) order[c.fn].push_back(c.node);
      list.push_back(c);
      index.add(c.id, c.fn, c.node);
    } else {
      const auto at = *rc::gen::inRange<std::size_t>(0, list.size());
      const Idle c = list[at];
      index.remove(c.id);
      free_ids.push_back(c.id);
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(at));
      if (!holds(c.fn, c.node)) std::erase(order[c.fn], c.node);
    }
    const std::uint32_t fn = *rc::gen::inRange<std::uint32_t>(0, functions);
    const std::uint32_t node = *rc::gen::inRange<std::uint32_t>(0, nodes);
    std::int32_t count = 0;
    std::uint32_t oldest = IdleIndex::kNil, newest = IdleIndex::kNil;
    for (const Idle& c : list) {
      if (c.fn != fn || c.node != node) continue;
      ++count;
      if (oldest == IdleIndex::kNil) oldest = c.id;
      newest = c.id;
    }
    RC_ASSERT(index.count(fn, node) == count);
    RC_ASSERT(index.oldest(fn, node) == oldest);
    RC_ASSERT(index.newest(fn, node) == newest);
  }
  for (std::uint32_t fn = 0; fn < functions; ++fn) RC_ASSERT(nodes_of(index, fn) == order[fn]);
}

}  // namespace
}  // namespace hearth::sim
