// owner_alive (sandbox/owner_process.h): the owner of a name "hearth-<pid>-..." runs only if that pid is
// a process, not a zombie, that started no later than the named object was made (else the pid was
// reused). Hand-checked cases on a temp file whose mtime the test sets.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "sandbox/owner_process.h"
#include "tests/trace/temp_dir.h"

namespace hearth::sandbox {
namespace {

// Sets `path`'s mtime to `seconds_from_now` (negative: in the past).
void set_mtime(const std::string& path, int seconds_from_now) {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const timespec t{now.tv_sec + seconds_from_now, now.tv_nsec};
  const timespec times[2] = {t, t};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

TEST(OwnerProcess, ALiveProcessOwnsWhatItMadeButNotWhatWasThereBeforeItStarted) {
  hearth::testing::TempDir dir;
  const std::string made = dir.str() + "/hearth-x-made";
  std::ofstream(made) << "x";
  set_mtime(made, 0);
  EXPECT_TRUE(owner_alive(getpid(), made)) << "this process started before the file was made";
  // The same pid, the file older than this process: another process under a reused pid made it.
  set_mtime(made, -10 * 365 * 24 * 3600);
  EXPECT_FALSE(owner_alive(getpid(), made));
  EXPECT_TRUE(owner_alive(getpid(), dir.str() + "/missing")) << "nothing to sweep counts as owned";
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
