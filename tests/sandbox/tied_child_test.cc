// spawn_tied_child (sandbox/tied_child.h), the one way the invoker starts host tools and runsc: the child
// dies with its parent, starts with no signal blocked, joins the cgroups it is given or does not run, and
// one that cannot be executed says so. Each probe first shows what a plain child does (posix_spawn, which
// gave compileall; a plain fork+exec, which runsc had).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "sandbox/tied_child.h"

extern char** environ;

namespace hearth::sandbox {
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

// Forks a parent that starts `sleep 30` (with spawn_tied_child, or plain posix_spawn) and exits at once;
// returns the sleep's pid.
pid_t orphaned_sleep(bool tied) {
  int p[2];
  EXPECT_EQ(pipe(p), 0);
  const pid_t parent = fork();
  if (parent == 0) {
    pid_t sleeper = -1;
    if (tied) {
      sleeper = spawn_tied_child({{"/bin/sleep", "30"}});
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

// Reaps `pid` within `limit` (SIGKILLs it then); the wait status, or -1 if it had to be killed.
int reap_within(pid_t pid, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

// Runs `child` with its stderr on a pipe; returns (wait status, what it wrote there).
std::pair<int, std::string> run_saying(TiedChild child) {
  int err[2];
  EXPECT_EQ(pipe2(err, O_CLOEXEC), 0);
  child.err_fd = err[1];
  const pid_t pid = spawn_tied_child(child);
  close(err[1]);
  std::string said;
  char buf[256];
  for (ssize_t n; (n = read(err[0], buf, sizeof buf)) > 0;) said.append(buf, static_cast<std::size_t>(n));
  close(err[0]);
  return {reap_within(pid, std::chrono::seconds(10)), said};
}

TEST(TiedChild, DiesWithItsParentWhereAPlainChildLivesOn) {
  const pid_t plain = orphaned_sleep(false);
  ASSERT_GT(plain, 0);
  EXPECT_FALSE(gone_within(plain, std::chrono::milliseconds(500))) << "the probe: a posix_spawn child outlives its parent";
  kill(plain, SIGKILL);
  const pid_t tied = orphaned_sleep(true);
  ASSERT_GT(tied, 0);
  EXPECT_TRUE(gone_within(tied, std::chrono::milliseconds(2000))) << "spawn_tied_child's child outlived its parent";
  kill(tied, SIGKILL);
}

// The invoker blocks SIGINT/SIGTERM for its signal thread; a signal mask survives exec, so a plain child
// of such a thread (runsc's, before it used this helper) ignores `kill -TERM`.
TEST(TiedChild, StartsWithNoSignalBlocked) {
  sigset_t term, before;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &term, &before), 0);
  const pid_t plain = fork();
  if (plain == 0) {
    execl("/bin/sleep", "/bin/sleep", "30", static_cast<char*>(nullptr));
    _exit(127);
  }
  const pid_t tied = spawn_tied_child({{"/bin/sleep", "30"}});
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // both have exec'd sleep
  kill(plain, SIGTERM);
  kill(tied, SIGTERM);
  const int plain_status = reap_within(plain, std::chrono::milliseconds(500));
  EXPECT_EQ(plain_status, -1) << "the probe: a plain child keeps SIGTERM blocked (had to be SIGKILLed)";
  const int tied_status = reap_within(tied, std::chrono::seconds(5));
  EXPECT_TRUE(tied_status != -1 && WIFSIGNALED(tied_status) && WTERMSIG(tied_status) == SIGTERM)
      << "spawn_tied_child's child did not end on SIGTERM: status " << tied_status;
}

TEST(TiedChild, AMissingProgramSaysSoAndExitsNotExecuted) {
  const auto [status, said] = run_saying({{"/nonexistent/tool", "x"}});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == kNotExecuted) << status;
  EXPECT_NE(said.find("cannot execute /nonexistent/tool"), std::string::npos) << said;
  const auto [on_path, said_too] = run_saying({{"hearth-no-such-program-on-path"}});
  EXPECT_TRUE(WIFEXITED(on_path) && WEXITSTATUS(on_path) == kNotExecuted) << on_path;
  EXPECT_NE(said_too.find("cannot execute hearth-no-such-program-on-path"), std::string::npos) << said_too;
}

TEST(TiedChild, ABareNameIsLookedUpOnPathAndItsOutputGoesWhereAsked) {
  int out[2];
  ASSERT_EQ(pipe2(out, O_CLOEXEC), 0);
  const pid_t pid = spawn_tied_child({.argv = {"echo", "hello"}, .out_fd = out[1]});
  close(out[1]);
  char buf[64] = {};
  const ssize_t n = read(out[0], buf, sizeof buf - 1);
  close(out[0]);
  const int status = reap_within(pid, std::chrono::seconds(10));
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "hello\n");
}

// A runsc that cannot join its container's cgroup never runs (it would run outside the container's limits).
TEST(TiedChild, ACgroupItCannotJoinStopsItBeforeExec) {
  const std::string procs = "/nonexistent/hearth-test/cgroup.procs";
  const auto [status, said] = run_saying({.argv = {"/bin/true"}, .join_cgroups = {procs}});
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == kSetupFailed) << status;
  EXPECT_NE(said.find("cannot join the cgroup " + procs), std::string::npos) << said;
}

}  // namespace
}  // namespace hearth::sandbox
