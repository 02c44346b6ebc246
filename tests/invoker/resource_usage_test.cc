// measured_use: one run's cores, peak MB and I/O share from two cgroup readings, by hand.
#include "invoker/resource_usage.h"

#include <gtest/gtest.h>

namespace hearth::invoker {
namespace {

TEST(ResourceUsage, CoresMemoryAndIoShareOfOneRun) {
  const ResourceUsage before{1'000'000, 10 << 20, 5'000'000, 0};
  // 400 ms of CPU in 800 ms of wall time: half a core; peak 100.5 MB: 101 MB; 20 MB in 0.8 s = 25 MB/s of
  // the 100 MB/s reference: 0.25.
  const ResourceUsage after{1'400'000, (100 << 20) + (1 << 19), 25'000'000, 800'000};
  const MeasuredUse m = measured_use(before, after);
  EXPECT_DOUBLE_EQ(m.cores, 0.5);
  EXPECT_EQ(m.memory_mb, 101);
  EXPECT_DOUBLE_EQ(m.io_share, 0.25);
}

TEST(ResourceUsage, IoShareIsCappedAndCountersNeverGoBackwards) {
  const ResourceUsage before{2'000'000, 0, 0, 0};
  const ResourceUsage after{1'000'000, 0, 1'000'000'000, 1'000'000};  // 1 GB in 1 s; CPU counter reset
  const MeasuredUse m = measured_use(before, after);
  EXPECT_DOUBLE_EQ(m.cores, 0.0);
  EXPECT_DOUBLE_EQ(m.io_share, 1.0);
  EXPECT_EQ(measured_use(before, ResourceUsage{}).cores, 0.0);  // no wall time: nothing measured
}

}  // namespace
}  // namespace hearth::invoker
