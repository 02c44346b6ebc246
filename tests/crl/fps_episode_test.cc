#include "crl/fps_episode.h"

#include <gtest/gtest.h>

#include <vector>

namespace hearth::crl {
namespace {

// Two slots: A (priority 3, 512 MB, 1 core), B (priority 1, 256 MB, 0.5 cores); B has a busy container.
const std::vector<SlotInfo> kSlots = {{3, 512, 1.0}, {1, 256, 0.5}};

FpsInstance instance(std::int32_t a, std::int32_t b, model::MegaBytes mb, double cores) {
  return {{a, b}, {0, 1}, mb, cores};
}

TEST(FpsEpisode, ValidActionsRespectCapacityAndBusyContainers) {
  FpsEpisode e(kSlots, instance(2, 2, 768, 2.0), 3);
  std::vector<std::uint8_t> mask;
  e.valid_actions(mask);
  EXPECT_EQ(mask, (std::vector<std::uint8_t>{1, 1, 0, 1}));  // start A, start B, (A has nothing busy), wait B
  EXPECT_EQ(e.step(0), 0.0);                                   // A: 256 MB, 1 core left
  e.valid_actions(mask);
  EXPECT_EQ(mask, (std::vector<std::uint8_t>{0, 1, 0, 1}));  // A no longer fits
  // B fits once more (256 MB): then nothing fits and the episode ends with the Eq. 8 reward:
  // started 3 + 1 = 4 of pending 2·3 + 2·1 = 8.
  EXPECT_DOUBLE_EQ(e.step(1), 0.5);
  EXPECT_TRUE(e.done());
  EXPECT_EQ(e.selected(), (std::vector<std::int32_t>{1, 1}));
  EXPECT_EQ(e.remaining_mb(), 0);
}

TEST(FpsEpisode, WaitingForABusyContainerLeavesItsRequests) {
  FpsEpisode e(kSlots, instance(1, 3, 4096, 8.0), 3);
  EXPECT_EQ(e.step(3), 0.0);  // wait for B's busy container
  std::vector<std::uint8_t> mask;
  e.valid_actions(mask);
  EXPECT_EQ(mask, (std::vector<std::uint8_t>{1, 0, 0, 0}));
  EXPECT_DOUBLE_EQ(e.step(0), 3.0 / 6.0);
  EXPECT_TRUE(e.done());
}

TEST(FpsEpisode, StateEncodesSelectionCountsAndCapacity) {
  FpsEpisode e(kSlots, instance(2, 1, 1024, 2.0), 3);
  e.step(0);
  std::vector<float> s;
  e.state(s);
  ASSERT_EQ(s.size(), FpsEpisode::state_size(2));
  EXPECT_FLOAT_EQ(s[0], 0.5f);              // A: 1 of 2 selected
  EXPECT_FLOAT_EQ(s[1], 1.0f / 64);         // one undecided
  EXPECT_FLOAT_EQ(s[2], 0.f);               // not busy
  EXPECT_FLOAT_EQ(s[3], 1.f);               // one more fits (512 MB, 1 core left)
  EXPECT_FLOAT_EQ(s[4], 1.f);               // priority 3 / scale 3
  EXPECT_FLOAT_EQ(s[5], 0.5f);              // 512 / 1024
  EXPECT_FLOAT_EQ(s[7], 0.f);               // B: none selected
  EXPECT_FLOAT_EQ(s[9], 1.f);               // B busy
  EXPECT_FLOAT_EQ(s[14], 0.5f);             // memory left 512 / 1024
  EXPECT_FLOAT_EQ(s[15], 0.5f);             // cores left 1 / 2
}

}  // namespace
}  // namespace hearth::crl
