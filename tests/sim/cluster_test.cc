#include "sim/cluster.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <vector>

namespace hearth::sim {
namespace {

using model::ContainerState;

TEST(Cluster, TakeIdleReturnsMostRecentOnTheRightNode) {
  Cluster c(2, 1000, 4, 3);
  const auto a = c.create(0, 1, model::RuntimeKind::kNodejs, 100, ContainerState::kBusy);
  const auto b = c.create(1, 1, model::RuntimeKind::kNodejs, 100, ContainerState::kBusy);
  const auto d = c.create(0, 1, model::RuntimeKind::kNodejs, 100, ContainerState::kBusy);
  c.put_idle(a, ContainerState::kIdle, 1);
  c.put_idle(b, ContainerState::kIdle, 2);
  c.put_idle(d, ContainerState::kIdle, 3);
  EXPECT_EQ(c.idle_containers(0, 1), 2);
  EXPECT_EQ(c.idle_containers(1, 1), 1);
  EXPECT_EQ(c.take_idle(0, 1), d);
  EXPECT_EQ(c.take_idle(0, 1), a);
  EXPECT_FALSE(c.take_idle(0, 1).has_value());
  EXPECT_FALSE(c.take_idle(0, 2).has_value());
}

TEST(Cluster, EvictionCandidateIsLowestPriorityAndSkipsReused) {
  Cluster c(1, 1000, 4, 2);
  const auto a = c.create(0, 0, model::RuntimeKind::kNodejs, 100, ContainerState::kBusy);
  const auto b = c.create(0, 1, model::RuntimeKind::kNodejs, 200, ContainerState::kBusy);
  c.put_idle(a, ContainerState::kIdle, 5);
  c.put_idle(b, ContainerState::kIdle, 7);
  EXPECT_EQ(c.evictable_mb(0), 300);
  EXPECT_EQ(c.eviction_candidate(0), a);
  ASSERT_EQ(c.take_idle(0, 0), a);  // a is busy again: no longer a candidate
  EXPECT_EQ(c.eviction_candidate(0), b);
  EXPECT_EQ(c.evictable_mb(0), 200);
}

TEST(Cluster, EvictionWalkFollowsEvictionOrderAndStops) {
  Cluster c(2, 1000, 4, 3);
  std::vector<model::ContainerId> ids;
  for (double priority : {4.0, 1.0, 3.0, 1.0, 2.0}) {
    ids.push_back(c.create(0, 1, model::RuntimeKind::kNodejs, 100, ContainerState::kBusy));
    c.put_idle(ids.back(), ContainerState::kIdle, priority);
  }
  const auto other = c.create(1, 1, model::RuntimeKind::kNodejs, 100, ContainerState::kBusy);
  c.put_idle(other, ContainerState::kIdle, 0);  // another node's: never visited for node 0
  std::vector<model::ContainerId> seen;
  EXPECT_TRUE(c.for_each_eviction_candidate(0, [&](const model::Container& k) {
    seen.push_back(k.id);
    return true;
  }));
  // Priority order; the two at priority 1 in the order they turned idle.
  EXPECT_EQ(seen, (std::vector<model::ContainerId>{ids[1], ids[3], ids[4], ids[2], ids[0]}));
  seen.clear();
  c.for_each_eviction_candidate(0, [&](const model::Container& k) {
    seen.push_back(k.id);
    return seen.size() < 2;
  });
  EXPECT_EQ(seen.size(), 2u);
}

// Property: after any sequence of idles, reuses and destructions, the walk visits exactly the live idle
// containers, in the order repeated eviction (eviction_candidate + destroy) would take them.
// Up to 200 random creates, idles (random priority), takes and evictions on `nodes` nodes and
// `functions` functions.
void random_operations(Cluster& c, model::NodeId nodes, model::FunctionId functions) {
  std::vector<model::ContainerId> busy;
  const int steps = *rc::gen::inRange(0, 200);
  for (int i = 0; i < steps; ++i) {
    const int op = *rc::gen::inRange(0, 4);
    const auto fn = *rc::gen::inRange<model::FunctionId>(0, functions);
    const auto node = *rc::gen::inRange<model::NodeId>(0, nodes);
    if (op == 0 || busy.empty()) {
      busy.push_back(c.create(node, fn, model::RuntimeKind::kNodejs, 10, ContainerState::kBusy));
    } else if (op == 1) {
      c.put_idle(busy.back(), ContainerState::kIdle, *rc::gen::inRange(0, 8));
      busy.pop_back();
    } else if (op == 2) {
      if (const auto id = c.take_idle(node, fn)) busy.push_back(*id);
    } else if (const auto victim = c.eviction_candidate(node)) {
      c.destroy(*victim);
    }
  }
}

RC_GTEST_PROP(ClusterProperties, EvictionWalkMatchesRepeatedEviction, ()) {
  Cluster c(1, 1'000'000, 4, 4);
  random_operations(c, 1, 4);
  std::vector<model::ContainerId> walked;
  c.for_each_eviction_candidate(0, [&](const model::Container& k) {
    walked.push_back(k.id);
    return true;
  });
  std::vector<model::ContainerId> evicted;
  while (const auto victim = c.eviction_candidate(0)) {
    evicted.push_back(*victim);
    c.destroy(*victim);
  }
  RC_ASSERT(walked == evicted);
}

// The per-function node index agrees with the idle containers themselves after any sequence of puts,
// takes and evictions on 3 nodes: for_each_idle_node visits each node holding one exactly once, and
// idle_containers counts them.
RC_GTEST_PROP(ClusterProperties, IdleNodeIndexMatchesTheIdleContainers, ()) {
  Cluster c(3, 1'000'000, 4, 3);
  random_operations(c, 3, 3);
  for (model::FunctionId fn = 0; fn < 3; ++fn) {
    std::map<model::NodeId, int> expected, visited;
    c.for_each_idle(fn, [&](model::NodeId n) { ++expected[n]; });
    c.for_each_idle_node(fn, [&](model::NodeId n) { ++visited[n]; });
    RC_ASSERT(visited.size() == expected.size());
    for (const auto& [n, count] : expected) {
      RC_ASSERT(visited[n] == 1);
      RC_ASSERT(c.idle_containers(n, fn) == count);
    }
  }
}

TEST(Cluster, MemoryIntegralsAreExact) {
  Cluster c(1, 1000, 4, 1);
  c.set_now(0);
  const auto a = c.create(0, 0, model::RuntimeKind::kNodejs, 100, ContainerState::kBusy);
  c.set_now(10);
  c.put_idle(a, ContainerState::kIdle, 0);
  c.set_now(30);
  c.destroy(a);
  c.set_now(100);
  c.settle();
  EXPECT_DOUBLE_EQ(c.used_mb_us(), 100.0 * 30);
  EXPECT_DOUBLE_EQ(c.idle_mb_us(), 100.0 * 20);
  EXPECT_EQ(c.peak_used_mb(), 100);
  EXPECT_EQ(c.used_mb(), 0);
}

TEST(Cluster, StemCellsMatchRuntimeAndMemory) {
  Cluster c(1, 1000, 4, 1);
  const auto s = c.create(0, model::kNoFunction, model::RuntimeKind::kPython, 256, ContainerState::kPrewarmed);
  c.put_idle(s, ContainerState::kPrewarmed, 0);
  EXPECT_EQ(c.stem_cells(0, model::RuntimeKind::kPython, 256), 1);
  EXPECT_FALSE(c.take_stem_cell(0, model::RuntimeKind::kNodejs, 128).has_value());
  EXPECT_FALSE(c.take_stem_cell(0, model::RuntimeKind::kPython, 512).has_value());
  EXPECT_EQ(c.take_stem_cell(0, model::RuntimeKind::kPython, 200), s);
}

TEST(Cluster, SlotReuseBumpsGeneration) {
  Cluster c(1, 1000, 4, 1);
  const auto a = c.create(0, 0, model::RuntimeKind::kNodejs, 100, ContainerState::kBusy);
  const auto g = c.container(a).generation;
  c.destroy(a);
  const auto b = c.create(0, 0, model::RuntimeKind::kNodejs, 100, ContainerState::kBusy);
  EXPECT_EQ(a, b);
  EXPECT_NE(c.container(b).generation, g);
}

TEST(Cluster, MemoryBalanceIsStdDevOfUsedFraction) {
  Cluster c(2, 1000, 4, 1);
  c.create(0, 0, model::RuntimeKind::kNodejs, 500, ContainerState::kBusy);
  EXPECT_DOUBLE_EQ(c.memory_balance(), 0.25);  // fractions 0.5 and 0: mean 0.25, std-dev 0.25
}

}  // namespace
}  // namespace hearth::sim
