// owner_alive (sandbox/owner_process.h): the owner of a name "hearth-<pid>-..." runs only if that pid is
// a process, not a zombie, that started no later than the named object was made (else the pid was
// reused by more than 1 s). Hand-checked cases on a temp file whose mtime the test sets.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "sandbox/owner_process.h"
#include "tests/sandbox/paused_child.h"
#include "tests/trace/temp_dir.h"

namespace hearth::sandbox {
namespace {

// Sets `path`'s mtime to `seconds_from_now` (negative: in the past).
void set_mtime(const std::string& path, double seconds_from_now) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const std::int64_t ns = static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec +
                          static_cast<std::int64_t>(seconds_from_now * 1e9);
  const timespec t{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  const timespec times[2] = {t, t};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

TEST(OwnerProcess, ALiveProcessOwnsWhatItMadeButNotWhatWasThereWellBeforeItStarted) {
  hearth::testing::TempDir dir;
  const std::string made = dir.str() + "/hearth-x-made";
  std::ofstream(made) << "x";
  const hearth::testing::PausedChild started_now;  // a process that starts now
  const pid_t child = started_now.pid();
  set_mtime(made, 1);
  EXPECT_TRUE(owner_alive(child, made)) << "made after the process started";
  set_mtime(made, -0.5);
  EXPECT_TRUE(owner_alive(child, made)) << "0.5 s before: within the 1 s the clock may have stepped";
  set_mtime(made, -5);
  EXPECT_FALSE(owner_alive(child, made)) << "5 s before the process started: another process under a reused pid";
  set_mtime(made, -10 * 365 * 24 * 3600);
  EXPECT_FALSE(owner_alive(child, made));
  EXPECT_TRUE(owner_alive(child, dir.str() + "/missing")) << "nothing to sweep counts as owned";
}

TEST(OwnerProcess, ADeadProcessOrAZombieOwnsNothing) {
  hearth::testing::TempDir dir;
  const std::string made = dir.str() + "/hearth-x-made";
  std::ofstream(made) << "x";
  const pid_t zombie = fork();
  if (zombie == 0) _exit(0);
  // Not reaped yet: a zombie once it has exited.
  for (int i = 0; i < 2000; ++i) {
    std::ifstream stat("/proc/" + std::to_string(zombie) + "/stat");
    std::string line;
    std::getline(stat, line);
    if (line.find(") Z") != std::string::npos) break;
    usleep(1000);
  }
  set_mtime(made, 1);  // made after the zombie started: only its state can make it not the owner
  EXPECT_FALSE(owner_alive(zombie, made)) << "a zombie";
  ASSERT_EQ(waitpid(zombie, nullptr, 0), zombie);
  EXPECT_FALSE(owner_alive(zombie, made)) << "a reaped pid";
}

}  // namespace
}  // namespace hearth::sandbox
