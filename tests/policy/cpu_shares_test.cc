// CPU weights by hand: OpenWhisk's cpuShare (ContainerFactory.scala) worked out for a few memories.
#include "policy/cpu_shares.h"

#include <gtest/gtest.h>

namespace hearth::policy {
namespace {

TEST(CpuShares, OpenWhiskDividesTheFullShareByHowManySuchActionsFitInUserMemory) {
  // OpenWhisk's default invoker: 2048 MB of user memory. A 256 MB action: 2048/256 = 8 fit → 1024/8 = 128.
  EXPECT_EQ(openwhisk_cpu_shares(2048, 256), 128U);
  EXPECT_EQ(openwhisk_cpu_shares(2048, 512), 256U);
  EXPECT_EQ(openwhisk_cpu_shares(2048, 2048), 1024U);
  // 384 MB: Long division 2048/384 = 5 → 1024.0/5 = 204.8 → 204.
  EXPECT_EQ(openwhisk_cpu_shares(2048, 384), 204U);
  // A 16 GB node: 128 MB → 1024/128 = 8; 6 MB → 1024/2730 = 0.375 → 0 → Docker's minimum 2.
  EXPECT_EQ(openwhisk_cpu_shares(16384, 128), 8U);
  EXPECT_EQ(openwhisk_cpu_shares(16384, 6), 2U);
}

TEST(CpuShares, EqualWeightsAreOneWhateverTheMemory) {
  EXPECT_EQ(cpu_weight(CpuWeights::kEqual, 2048, 256), 1U);
  EXPECT_EQ(cpu_weight(CpuWeights::kEqual, 2048, 6), 1U);
  EXPECT_EQ(cpu_weight(CpuWeights::kMemory, 2048, 256), 128U);
}

TEST(CpuShares, NamesRoundTripAndOthersAreRefused) {
  EXPECT_EQ(parse_cpu_weights("equal"), CpuWeights::kEqual);
  EXPECT_EQ(parse_cpu_weights("memory"), CpuWeights::kMemory);
  EXPECT_EQ(parse_cpu_weights("Memory"), std::nullopt);
  EXPECT_STREQ(cpu_weights_name(CpuWeights::kMemory), "memory");
  EXPECT_STREQ(cpu_weights_name(CpuWeights::kEqual), "equal");
}

}  // namespace
}  // namespace hearth::policy
