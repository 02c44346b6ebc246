// Isolation of one sandboxed process tree. These tests need root and writable cgroups (CI runs as root
// on the same kind of machine); elsewhere they are skipped with the reason.
#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>

#include "sandbox/sandbox_pool.h"
#include "tests/trace/temp_dir.h"

namespace hearth::sandbox {
namespace {

std::atomic<int> next_name{0};

struct Result {
  ExitInfo exit;
  std::string out;
};

// Runs `script` with /bin/sh in a sandbox; captures stdout+stderr.
Result sh(const std::string& script, CgroupLimits limits = {}, std::vector<std::string> ro = {},
          SandboxPool* pool = nullptr) {
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  SandboxSpec spec;
  spec.name = "test-" + std::to_string(getpid()) + "-" + std::to_string(next_name++);
  spec.argv = {"/bin/sh", "-c", script};
  spec.fds = {{out[1], 1}, {out[1], 2}};
  spec.limits = limits;
  spec.read_only_paths = std::move(ro);
  Result r;
  {
    Sandbox box(spec, pool);
    close(out[1]);
    char buf[4096];
    ssize_t n;
    while ((n = read(out[0], buf, sizeof buf)) > 0) r.out.append(buf, static_cast<std::size_t>(n));
    r.exit = box.wait();
  }
  close(out[0]);
  return r;
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!Sandbox::supported(&why)) GTEST_SKIP() << "sandboxes unsupported here: " << why;
  }
};

TEST_F(SandboxTest, OwnPidNamespaceHostnameAndUser) {
  const Result r = sh("echo pid=$$; hostname; id -u; ls /proc | grep -c '^[0-9]'");
  EXPECT_TRUE(r.exit.exited);
  EXPECT_EQ(r.exit.code, 0) << r.out;
  EXPECT_NE(r.out.find("pid=1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hearth\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("65534\n"), std::string::npos) << r.out;
}

TEST_F(SandboxTest, HostFilesOutsideTheViewAreInvisible) {
  hearth::testing::TempDir host;
  host.write("secret.txt", "top secret");
  const Result r = sh("cat " + host.str() + "/secret.txt; echo rc=$?; ls /root 2>&1; echo done");
  EXPECT_EQ(r.out.find("top secret"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out;
}

TEST_F(SandboxTest, CodeIsReadOnlyAndTmpIsPrivateAndWritable) {
  hearth::testing::TempDir code;
  code.write("main.py", "x");
  const std::string path = code.str();
  ::chmod(path.c_str(), 0755);
  const Result r = sh("cat " + path + "/main.py; echo; touch " + path + "/new 2>&1; echo rc=$?; echo hi > /tmp/f && cat /tmp/f",
                      {}, {path});
  EXPECT_NE(r.out.find("x\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out;  // read-only
  EXPECT_NE(r.out.find("hi"), std::string::npos) << r.out;
  EXPECT_FALSE(std::ifstream(path + "/new").good());
  const Result other = sh("cat /tmp/f 2>&1; echo rc=$?");  // another sandbox's /tmp is not this one's
  EXPECT_NE(other.out.find("rc=1"), std::string::npos) << other.out;
}

TEST_F(SandboxTest, CannotSeeOrSignalHostProcesses) {
  const Result r = sh("kill -0 " + std::to_string(getpid()) + " 2>&1; echo rc=$?");
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out;
}

TEST_F(SandboxTest, SeccompDeniesMountAndNamespaces) {
  // As nobody mount would fail anyway; unshare(2) is denied by the filter itself.
  const Result r = sh("mount -t tmpfs x /tmp 2>&1; echo mount=$?; unshare -n true 2>&1; echo unshare=$?");
  EXPECT_EQ(r.out.find("mount=0"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("unshare=0"), std::string::npos) << r.out;
}

TEST_F(SandboxTest, OnlyLoopbackNetwork) {
  const Result r = sh("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '");
  EXPECT_EQ(r.out, "lo\n");
}

TEST_F(SandboxTest, MemoryLimitKillsAndIsReported) {
  CgroupLimits limits;
  limits.memory_mb = 48;
  const Result r = sh("exec /usr/bin/python3 -c 'x = bytearray(400 * 1024 * 1024); print(len(x))'", limits);
  EXPECT_FALSE(r.exit.exited && r.exit.code == 0) << r.out;
  EXPECT_TRUE(r.exit.oom_killed) << r.out;
}

TEST_F(SandboxTest, PidsLimitStopsForkBombs) {
  CgroupLimits limits;
  limits.pids_max = 8;
  const Result r = sh("n=0; for i in $(seq 30); do sleep 2 & n=$((n+1)); done 2>/dev/null; jobs -p | wc -l", limits);
  // The shell could not start all 30 sleeps; the sandbox then kills what is left on exit.
  EXPECT_NE(r.out, "30\n") << r.out;
}

TEST_F(SandboxTest, CpuQuotaChangesAtRunTime) {
  SandboxSpec spec;
  spec.name = "test-cpu-" + std::to_string(getpid());
  spec.argv = {"/bin/sleep", "5"};
  spec.limits.cpu_millicores = 500;
  Sandbox box(spec);
  EXPECT_EQ(box.cgroup().cpu_quota_millicores(), 500);
  box.cgroup().set_cpu_quota(1500);
  EXPECT_EQ(box.cgroup().cpu_quota_millicores(), 1500);
  box.kill();
  EXPECT_EQ(box.wait().signal, SIGKILL);
}

// Sandboxes from pre-attached shells: the same isolation, the spec's limits, descriptors passed, and
// nothing else of the platform's open files inherited.
TEST_F(SandboxTest, PooledShellsGiveTheSameSandbox) {
  SandboxPool pool("test-pool-" + std::to_string(getpid()), 2);
  ASSERT_EQ(pool.wait_ready(2, 5000), 2);
  const int stray = open("/dev/null", O_RDONLY);  // inherited by the parked shells (no O_CLOEXEC)
  ASSERT_GE(stray, 3);
  const Result r = sh("echo pid=$$; id -u; ls /proc/self/fd | tr '\\n' ' '", {}, {}, &pool);
  EXPECT_EQ(r.exit.code, 0) << r.out;
  EXPECT_NE(r.out.find("pid=1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("65534\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(" " + std::to_string(stray) + " "), std::string::npos) << r.out;  // closed
  CgroupLimits limits;
  limits.memory_mb = 48;
  const Result oom = sh("exec /usr/bin/python3 -c 'x = bytearray(400 * 1024 * 1024); print(len(x))'", limits, {}, &pool);
  EXPECT_TRUE(oom.exit.oom_killed) << oom.out;
  close(stray);
  EXPECT_EQ(pool.hits(), 2u);
  EXPECT_EQ(pool.wait_ready(2, 5000), 2);  // refilled in the background
  // An empty pool falls back to fork + attach.
  SandboxPool empty("test-empty-" + std::to_string(getpid()), 0);
  EXPECT_EQ(sh("echo ok", {}, {}, &empty).out, "ok\n");
  EXPECT_EQ(empty.misses(), 1u);
}

TEST(SandboxSpecWire, RoundTripsOverASocket) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, pair), 0);
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  SandboxSpec spec;
  spec.argv = {"/usr/bin/python3", "-c", "print('a b')", ""};
  spec.read_only_paths = {"/opt/code dir"};
  spec.fds = {{pipefd[0], 3}, {pipefd[1], 4}};
  spec.tmp_mb = 32;
  spec.hostname = "h";
  ASSERT_TRUE(send_spec(pair[0], spec));
  SandboxSpec got;
  ASSERT_TRUE(receive_spec(pair[1], &got));
  EXPECT_EQ(got.argv, spec.argv);
  EXPECT_EQ(got.read_only_paths, spec.read_only_paths);
  EXPECT_EQ(got.tmp_mb, 32);
  EXPECT_EQ(got.hostname, "h");
  ASSERT_EQ(got.fds.size(), 2u);
  EXPECT_EQ(got.fds[0].second, 3);
  EXPECT_EQ(got.fds[1].second, 4);
  ASSERT_EQ(write(got.fds[1].first, "x", 1), 1);  // the received descriptors are the pipe's ends
  char c = 0;
  ASSERT_EQ(read(pipefd[0], &c, 1), 1);
  EXPECT_EQ(c, 'x');
  for (int fd : {pair[0], pair[1], pipefd[0], pipefd[1], got.fds[0].first, got.fds[1].first}) close(fd);
  int bad[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, bad), 0);
  ASSERT_EQ(write(bad[0], "junk", 4), 4);
  EXPECT_FALSE(receive_spec(bad[1], &got));
  close(bad[0]);
  close(bad[1]);
}

}  // namespace
}  // namespace hearth::sandbox
