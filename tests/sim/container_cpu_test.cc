// Hand-worked processor sharing inside a container (sim/container_cpu.h).
#include <gtest/gtest.h>

#include "sim/container_cpu.h"

namespace hearth::sim {
namespace {

using model::seconds;

TEST(ContainerCpu, WithinTheQuotaJobsRunAtFullSpeedExactly) {
  ContainerCpu cpu;
  cpu.add(7, 2, 1000, 500, 1);  // container 7, 2 cores
  cpu.add(7, 2, 1100, 300, 2);
  EXPECT_EQ(cpu.running(7), 2u);
  EXPECT_EQ(cpu.next_finish(7), 1400);  // job 2: 1100 + 300 (both below the quota)
  EXPECT_EQ(cpu.pop(7, 1400), 2u);
  EXPECT_EQ(cpu.next_finish(7), 1500);  // job 1: 1000 + 500
  EXPECT_EQ(cpu.pop(7, 1500), 1u);
  EXPECT_EQ(cpu.running(7), 0u);
  EXPECT_EQ(cpu.next_finish(7), model::kNever);
}

// 1 core, jobs of 1 s: alone from 0; a second joins at 0.5 s (both at 1/2); the first, 0.5 s short,
// finishes at 1.5 s; the second has had 0.5 s by then and finishes alone at 2 s.
TEST(ContainerCpu, PastTheQuotaJobsShareItAndStretch) {
  ContainerCpu cpu;
  cpu.add(0, 1, 0, seconds(1), 10);
  EXPECT_EQ(cpu.next_finish(0), seconds(1));
  cpu.add(0, 1, seconds(1) / 2, seconds(1), 11);
  EXPECT_EQ(cpu.next_finish(0), seconds(3) / 2);
  EXPECT_EQ(cpu.pop(0, seconds(3) / 2), 10u);
  EXPECT_EQ(cpu.next_finish(0), seconds(2));
  EXPECT_EQ(cpu.pop(0, seconds(2)), 11u);
}

TEST(ContainerCpu, ArmingMakesEarlierEpochsStale) {
  ContainerCpu cpu;
  cpu.add(3, 1, 0, 100, 0);
  const std::uint32_t first = cpu.arm(3);
  EXPECT_TRUE(cpu.armed(3, first));
  const std::uint32_t second = cpu.arm(3);
  EXPECT_FALSE(cpu.armed(3, first));
  EXPECT_TRUE(cpu.armed(3, second));
  EXPECT_FALSE(cpu.armed(4, 0));  // a container it never saw
}

}  // namespace
}  // namespace hearth::sim
