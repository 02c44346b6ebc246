// spawn_tool (invoker/tool_process.h): a tool the invoker runs dies with it, and one that cannot be
// executed says so. The probe first shows that a plain child (what posix_spawn gave compileall) outlives
// its parent.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "invoker/tool_process.h"

extern char** environ;

namespace hearth::invoker {
namespace {

bool running(pid_t pid) {
  if (kill(pid, 0) != 0) return false;
  char state = '?';
  if (FILE* f = fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r")) {
    if (fscanf(f, "%*d %*s %c", &state) != 1) state = '?';
    fclose(f);
  }
  return state != 'Z' && state != 'X';
}

// Forks a parent that starts `sleep 30` (with spawn_tool, or plain posix_spawn) and exits at once;
// returns the sleep's pid.
pid_t orphaned_sleep(bool tied) {
  int p[2];
  EXPECT_EQ(pipe(p), 0);
  const pid_t parent = fork();
  if (parent == 0) {
    pid_t sleeper = -1;
    if (tied) {
      sleeper = spawn_tool({"/bin/sleep", "30"});
    } else {
      char arg0[] = "/bin/sleep", arg1[] = "30";
      char* argv[] = {arg0, arg1, nullptr};
      posix_spawn(&sleeper, argv[0], nullptr, nullptr, argv, environ);
    }
    (void)!write(p[1], &sleeper, sizeof sleeper);
    _exit(0);
  }
  close(p[1]);
  pid_t sleeper = -1;
  EXPECT_EQ(read(p[0], &sleeper, sizeof sleeper), static_cast<ssize_t>(sizeof sleeper));
  close(p[0]);
  waitpid(parent, nullptr, 0);
  return sleeper;
}

bool gone_within(pid_t pid, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (!running(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return !running(pid);
}

TEST(ToolProcess, AToolDiesWithItsParentWhereAPlainChildLivesOn) {
  const pid_t plain = orphaned_sleep(false);
  ASSERT_GT(plain, 0);
  EXPECT_FALSE(gone_within(plain, std::chrono::milliseconds(500))) << "the probe: a posix_spawn child outlives its parent";
  kill(plain, SIGKILL);
  const pid_t tied = orphaned_sleep(true);
  ASSERT_GT(tied, 0);
  EXPECT_TRUE(gone_within(tied, std::chrono::milliseconds(2000))) << "spawn_tool's child outlived its parent";
  kill(tied, SIGKILL);
}

TEST(ToolProcess, AMissingToolSaysSoAndExitsNotRun) {
  int err[2];
  ASSERT_EQ(pipe(err), 0);
  const pid_t pid = spawn_tool({"/nonexistent/tool", "x"}, -1, err[1]);
  close(err[1]);
  std::string said;
  char buf[256];
  for (ssize_t n; (n = read(err[0], buf, sizeof buf)) > 0;) said.append(buf, static_cast<std::size_t>(n));
  close(err[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == kToolNotRun);
  EXPECT_NE(said.find("cannot execute /nonexistent/tool"), std::string::npos) << said;
}

}  // namespace
}  // namespace hearth::invoker
