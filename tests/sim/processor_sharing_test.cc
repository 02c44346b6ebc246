// ProcessorSharing by hand: GPS finish instants on one and several cores.
#include "sim/processor_sharing.h"

#include <gtest/gtest.h>

#include <vector>

namespace hearth::sim {
namespace {

using model::seconds;
using model::millis;

// Advances to the next finish and returns the jobs done there, in order.
std::vector<std::uint32_t> step(ProcessorSharing& cpu, model::Micros* at) {
  *at = cpu.next_finish();
  cpu.advance(*at);
  std::vector<std::uint32_t> done;
  while (const auto j = cpu.pop_done()) done.push_back(*j);
  return done;
}

TEST(ProcessorSharing, TwoEqualJobsOnOneCoreFinishTogetherAtTwiceTheirWork) {
  ProcessorSharing cpu(1);
  cpu.advance(0);
  cpu.add(7, seconds(1));
  cpu.add(8, seconds(1));
  EXPECT_DOUBLE_EQ(cpu.rate(), 0.5);
  model::Micros at = 0;
  EXPECT_EQ(step(cpu, &at), (std::vector<std::uint32_t>{7, 8}));
  EXPECT_EQ(at, seconds(2));
  EXPECT_EQ(cpu.next_finish(), model::kNever);
}

TEST(ProcessorSharing, ALaterJobSlowsTheFirstOnlyWhileBothRun) {
  // A (1 s) alone for 0.5 s, then A and B (2 s) at half speed: A's last 0.5 s takes 1 s (done at 1.5 s);
  // B has 0.5 s done by then and runs its last 1.5 s alone (done at 3 s).
  ProcessorSharing cpu(1);
  cpu.add(0, seconds(1));
  EXPECT_EQ(cpu.next_finish(), seconds(1));
  cpu.advance(millis(500));
  cpu.add(1, seconds(2));
  model::Micros at = 0;
  EXPECT_EQ(step(cpu, &at), std::vector<std::uint32_t>{0});
  EXPECT_EQ(at, millis(1500));
  EXPECT_EQ(step(cpu, &at), std::vector<std::uint32_t>{1});
  EXPECT_EQ(at, seconds(3));
}

TEST(ProcessorSharing, NoJobRunsFasterThanOneCore) {
  ProcessorSharing cpu(4);
  cpu.add(0, seconds(1));
  cpu.add(1, seconds(1));
  EXPECT_DOUBLE_EQ(cpu.rate(), 1.0);
  EXPECT_EQ(cpu.next_finish(), seconds(1));
}

TEST(ProcessorSharing, ThreeJobsOnTwoCoresEachGetTwoThirdsOfACore) {
  ProcessorSharing cpu(2);
  for (std::uint32_t j = 0; j < 3; ++j) cpu.add(j, seconds(3));
  model::Micros at = 0;
  EXPECT_EQ(step(cpu, &at), (std::vector<std::uint32_t>{0, 1, 2}));
  EXPECT_EQ(at, millis(4500));
}

TEST(ProcessorSharing, AnIdleNodeRestartsItsVirtualClock) {
  ProcessorSharing cpu(1);
  cpu.add(0, seconds(1));
  model::Micros at = 0;
  step(cpu, &at);
  cpu.advance(seconds(100));
  cpu.add(1, 3);
  EXPECT_EQ(cpu.next_finish(), seconds(100) + 3);
}

TEST(ProcessorSharing, FinishInstantsRoundUpToTheMicrosecond) {
  ProcessorSharing cpu(1);
  for (std::uint32_t j = 0; j < 3; ++j) cpu.add(j, 1);  // 3 jobs of 1 µs: exactly done at 3 µs
  EXPECT_EQ(cpu.next_finish(), 3);
  cpu.advance(1);
  cpu.add(3, 1);  // 4 jobs, the first three with 2/3 µs left at rate 1/4: 8/3 µs → done at 1 + 3 µs
  EXPECT_EQ(cpu.next_finish(), 4);
  model::Micros at = 0;
  EXPECT_EQ(step(cpu, &at), (std::vector<std::uint32_t>{0, 1, 2}));  // 3/4 µs received by then
  EXPECT_EQ(at, 4);
}

}  // namespace
}  // namespace hearth::sim
