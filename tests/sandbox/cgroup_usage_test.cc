// Cgroup::usage: what a group's processes used, the live Function Info Table's CPU, Mem and I/O
// (invoker/resource_usage.h). A child that spins for 300 ms of CPU and touches 24 MB inside the group:
// the group counts at least most of that CPU time and a peak above those 24 MB; a fresh group counts
// (close to) nothing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "sandbox/cgroup.h"

namespace hearth::sandbox {
namespace {

std::int64_t thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1'000'000 + ts.tv_nsec / 1000;
}

TEST(CgroupUsage, CountsTheCpuTimeAndPeakMemoryOfItsProcesses) {
  if (geteuid() != 0 || access("/sys/fs/cgroup", W_OK) != 0) GTEST_SKIP() << "needs root and writable cgroups";
  Cgroup group("hearth-" + std::to_string(getpid()) + "-usage-test", CgroupLimits{128, 1000, 16});
  const CgroupUsage empty = group.usage();
  EXPECT_EQ(empty.cpu_usec, 0);
  EXPECT_LT(empty.memory_peak_bytes, 1 << 20);
  int ready[2], done[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(done), 0);
  const pid_t child = fork();
  if (child == 0) {
    char c;
    if (read(ready[0], &c, 1) != 1) _exit(1);  // in the group now
    std::vector<char> block(24 << 20);
    std::memset(block.data(), 1, block.size());
    volatile std::uint64_t x = 0;
    while (thread_cpu_us() < 300'000) x = x + 1;  // ~300 ms of CPU
    if (write(done[1], "d", 1) != 1) _exit(1);
    pause();  // stays in the group until killed: usage() reads a live process
    _exit(0);
  }
  group.add(child);
  ASSERT_EQ(write(ready[1], "g", 1), 1);
  char c;
  ASSERT_EQ(read(done[0], &c, 1), 1);
  const CgroupUsage u = group.usage();
  EXPECT_GE(u.cpu_usec, 250'000);  // v1 counts in clock ticks (10 ms)
  EXPECT_LE(u.cpu_usec, 2'000'000);
  EXPECT_GE(u.memory_peak_bytes, std::int64_t{24} << 20);
  EXPECT_LE(u.memory_peak_bytes, std::int64_t{128} << 20);
  EXPECT_GE(u.io_bytes, 0);
  group.kill_all();
  waitpid(child, nullptr, 0);
  for (int fd : {ready[0], ready[1], done[0], done[1]}) close(fd);
}

}  // namespace
}  // namespace hearth::sandbox
