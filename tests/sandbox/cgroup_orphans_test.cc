// Cgroup::remove_orphans: a killed invoker leaves its containers' groups (hearth-<pid>-*) behind; the next
// invoker removes those of dead pids, killing what still runs in them, and never touches a live one's.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sandbox/cgroup.h"
#include "tests/sandbox/paused_child.h"

namespace hearth::sandbox {
namespace {

namespace fs = std::filesystem;

// The group directories of `name`, one per hierarchy (v1: memory, cpu, pids; v2: one).
std::vector<fs::path> group_dirs(const std::string& name) {
  if (Cgroup::unified()) return {fs::path("/sys/fs/cgroup/hearth") / name};
  return {fs::path("/sys/fs/cgroup/memory/hearth") / name, fs::path("/sys/fs/cgroup/cpu/hearth") / name,
          fs::path("/sys/fs/cgroup/pids/hearth") / name};
}

pid_t dead_pid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

TEST(CgroupOrphans, GroupsOfDeadPidsGoWithTheirProcessesAndLiveOnesStay) {
  if (geteuid() != 0 || access("/sys/fs/cgroup", W_OK) != 0) GTEST_SKIP() << "needs root and writable cgroups";
  const std::string mine = "hearth-" + std::to_string(getpid()) + "-orphan-test";
  Cgroup live(mine, CgroupLimits{});  // creates the hearth/ parents too; its destructor removes it
  const std::string orphan = "hearth-" + std::to_string(dead_pid()) + "-c1";
  for (const fs::path& d : group_dirs(orphan)) ASSERT_EQ(mkdir(d.c_str(), 0755), 0) << d;
  const pid_t stray = fork();  // what the dead invoker left running in its group
  if (stray == 0) {
    pause();
    _exit(0);
  }
  for (const fs::path& d : group_dirs(orphan)) std::ofstream(d / "cgroup.procs") << stray;
  for (const fs::path& d : group_dirs(orphan)) EXPECT_TRUE(fs::exists(d)) << "the probe: left behind";

  EXPECT_GE(Cgroup::remove_orphans(), group_dirs(orphan).size());
  for (const fs::path& d : group_dirs(orphan)) EXPECT_FALSE(fs::exists(d)) << d;
  int status = 0;
  ASSERT_EQ(waitpid(stray, &status, 0), stray);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  for (const fs::path& d : group_dirs(mine)) EXPECT_TRUE(fs::exists(d)) << "a live process's group stays: " << d;
}

// Found by tests/e2e/crash_test.cc: a killed invoker's pid taken by another process before the restart
// kept its groups for ever. A group older than the process holding its pid is an orphan.
TEST(CgroupOrphans, AGroupOlderThanTheProcessUnderItsPidIsAnOrphan) {
  if (geteuid() != 0 || access("/sys/fs/cgroup", W_OK) != 0) GTEST_SKIP() << "needs root and writable cgroups";
  const hearth::testing::PausedChild reuser;  // stands for a process that reused a dead invoker's pid
  const pid_t holder = reuser.pid();
  const std::string fresh = "hearth-" + std::to_string(holder) + "-c1", old = "hearth-" + std::to_string(holder) + "-c2";
  for (const std::string& name : {fresh, old})
    for (const fs::path& d : group_dirs(name)) ASSERT_EQ(mkdir(d.c_str(), 0755), 0) << d;
  const timespec long_ago[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};  // 2001, before the holder started
  for (const fs::path& d : group_dirs(old)) ASSERT_EQ(utimensat(AT_FDCWD, d.c_str(), long_ago, 0), 0) << d;
  Cgroup::remove_orphans();
  for (const fs::path& d : group_dirs(old)) EXPECT_FALSE(fs::exists(d)) << "made before its pid's process started: " << d;
  for (const fs::path& d : group_dirs(fresh)) {
    EXPECT_TRUE(fs::exists(d)) << "made after its pid's process started: its own: " << d;
    rmdir(d.c_str());
  }
}

}  // namespace
}  // namespace hearth::sandbox
