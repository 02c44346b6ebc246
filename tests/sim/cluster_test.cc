#include "sim/cluster.h"

#include <gtest/gtest.h>

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
