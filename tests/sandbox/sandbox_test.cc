// Isolation of one sandboxed process tree. These tests need root and writable cgroups (CI runs as root
// on the same kind of machine); elsewhere they are skipped with the reason. Every protection is shown
// by a probe that succeeds outside the sandbox (as root, or as nobody where the protection is what stops
// an unprivileged process) and fails inside: with the protection removed, the test fails.
// The user-namespace (rootless) mode is tested by re-running this binary as nobody (RootlessChild.*).
#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "sandbox/sandbox_pool.h"
#include "sandbox/seccomp_profile.h"
#include "tests/trace/temp_dir.h"

namespace hearth::sandbox {
namespace {

std::atomic<int> next_name{0};

struct Result {
  ExitInfo exit;
  std::string out;
};

constexpr int kNobody = 65534;
const std::string kProbe = HEARTH_SANDBOX_PROBE;

// Runs `argv` in a sandbox; captures stdout+stderr.
Result run_inside(std::vector<std::string> argv, CgroupLimits limits = {}, std::vector<std::string> ro = {},
                  SandboxPool* pool = nullptr) {
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  SandboxSpec spec;
  spec.name = "test-" + std::to_string(getpid()) + "-" + std::to_string(next_name++);
  spec.argv = std::move(argv);
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

// Runs `script` with /bin/sh in a sandbox.
Result sh(const std::string& script, CgroupLimits limits = {}, std::vector<std::string> ro = {},
          SandboxPool* pool = nullptr) {
  return run_inside({"/bin/sh", "-c", script}, limits, std::move(ro), pool);
}

// The same probes outside any sandbox: a plain child of this process, as nobody when `as_nobody`
// (no supplementary groups), with the seccomp profile loaded first when `with_profile`, with the
// environment variable `env` ("NAME=value") set when given.
Result run_outside(const std::vector<std::string>& argv, bool as_nobody, bool with_profile = false,
                   const char* env = nullptr) {
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(out[1], 2);
    close(out[0]);
    close(out[1]);
    if (env) putenv(const_cast<char*>(env));
    if (as_nobody && (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0)) _exit(120);
    if (with_profile && install_seccomp_profile() != 0) _exit(121);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  Result r;
  char buf[4096];
  ssize_t n;
  while ((n = read(out[0], buf, sizeof buf)) > 0) r.out.append(buf, static_cast<std::size_t>(n));
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.exit.exited = WIFEXITED(status);
  r.exit.code = r.exit.exited ? WEXITSTATUS(status) : 0;
  return r;
}

Result sh_outside(const std::string& script, bool as_nobody) { return run_outside({"/bin/sh", "-c", script}, as_nobody); }

// Starts 30 background sleeps, prints how many started, stops them.
const std::string kForkThirty =
    "for i in $(seq 30); do sleep 5 & done 2>/dev/null; jobs -p > /tmp/jobs.$$; wc -l < /tmp/jobs.$$; "
    "kill $(cat /tmp/jobs.$$) 2>/dev/null; rm -f /tmp/jobs.$$";

// "name errno" lines of `sandbox_probe syscalls`.
std::map<std::string, int> syscall_results(const Result& r) {
  EXPECT_EQ(r.exit.code, 0) << r.out;
  std::map<std::string, int> m;
  std::istringstream in(r.out);
  std::string name;
  int err = 0;
  while (in >> name >> err) m[name] = err;
  EXPECT_GT(m.size(), 40u) << r.out;
  return m;
}

// Calls a sandbox must still allow (the runtimes fork, use sockets, query the personality).
const std::set<std::string> kAllowedProbes = {"clone_plain", "personality_query", "socket_inet", "io_setup"};

// A probe "reached the kernel" when the call succeeded or failed for a reason other than a missing
// privilege or a missing call: EPERM and ENOSYS are what the profile returns.
bool reached(int err) { return err != EPERM && err != ENOSYS; }
int denial_for(const std::string& probe) { return probe == "clone3" ? ENOSYS : EPERM; }

// Checks every probe `outside` reached is denied `inside` (and the allowed ones still work); returns the
// probes outside did not reach (nothing to prove for them here).
std::set<std::string> expect_denied(const std::map<std::string, int>& outside, const std::map<std::string, int>& inside) {
  std::set<std::string> unreached;
  for (const auto& [name, err] : outside) {
    if (!inside.count(name)) {
      ADD_FAILURE() << name << " missing inside";
      continue;
    }
    if (kAllowedProbes.count(name)) {
      EXPECT_EQ(err, 0) << name;
      EXPECT_EQ(inside.at(name), 0) << name << " must stay allowed";
    } else if (reached(err)) {
      EXPECT_EQ(inside.at(name), denial_for(name)) << name << ": " << err << " outside";
    } else {
      unreached.insert(name);
    }
  }
  return unreached;
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (Sandbox::privilege(&why) != Privilege::kRoot)
      GTEST_SKIP() << "needs root with writable cgroups (the rootless mode is RootlessChild.*): " << why;
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
  ::chmod(host.str().c_str(), 0755);  // readable by anyone on the host: only the sandbox's view hides it
  ::chmod((host.str() + "/secret.txt").c_str(), 0644);
  const std::string probe = "cat " + host.str() + "/secret.txt; echo rc=$?";
  const Result out = sh_outside(probe, /*as_nobody=*/true);
  ASSERT_NE(out.out.find("top secret"), std::string::npos) << out.out;  // nobody reads it on the host
  const Result r = sh(probe);
  EXPECT_EQ(r.out.find("top secret"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out;
}

TEST_F(SandboxTest, EtcIsMinimal) {
  const std::string probe = "test -e /etc/shadow && echo shadow; grep -c . /etc/passwd; id -un; ls /etc | tr '\\n' ' '";
  const Result out = sh_outside(probe, /*as_nobody=*/true);
  ASSERT_NE(out.out.find("shadow\n"), std::string::npos) << out.out;  // the host's /etc, as nobody sees it
  const Result r = sh(probe);
  EXPECT_EQ(r.exit.code, 0) << r.out;
  EXPECT_EQ(r.out, "2\nnobody\nalternatives group hostname hosts ld.so.cache localtime nsswitch.conf passwd resolv.conf ");
  const Result hosts = sh("cat /etc/hosts /etc/hostname");
  EXPECT_NE(hosts.out.find("127.0.0.1\tlocalhost hearth\n"), std::string::npos) << hosts.out;
  EXPECT_NE(hosts.out.find("\nhearth\n"), std::string::npos) << hosts.out;
}

// A host process of the same user (nobody) is signalable from the host, not from a sandbox.
TEST_F(SandboxTest, CannotSeeOrSignalHostProcesses) {
  int exec_done[2];  // close-on-exec: EOF once the sleeper runs as nobody
  ASSERT_EQ(pipe2(exec_done, O_CLOEXEC), 0);
  const pid_t sleeper = fork();
  if (sleeper == 0) {
    if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0) _exit(120);
    execl("/bin/sleep", "sleep", "30", nullptr);
    _exit(127);
  }
  close(exec_done[1]);
  char c;
  while (read(exec_done[0], &c, 1) < 0 && errno == EINTR) {
  }
  close(exec_done[0]);
  ASSERT_GT(sleeper, 0);
  struct Reap {
    pid_t pid;
    ~Reap() {
      ::kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reap{sleeper};
  const std::string probe = "kill -0 " + std::to_string(sleeper) + " 2>&1; echo rc=$?; test -e /proc/" +
                            std::to_string(sleeper) + " && echo visible";
  const Result out = sh_outside(probe, /*as_nobody=*/true);
  ASSERT_NE(out.out.find("rc=0"), std::string::npos) << out.out;
  ASSERT_NE(out.out.find("visible"), std::string::npos) << out.out;
  const Result r = sh(probe);
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("visible"), std::string::npos) << r.out;
}

// The profile on its own, in a process that keeps root and every capability: each probed call succeeds
// (or at least reaches the kernel) without the profile and is refused with it. So the denials hold
// whatever the privileges of the caller.
TEST_F(SandboxTest, SeccompProfileDeniesEachProbedCallEvenToRoot) {
  const auto outside = syscall_results(run_outside({kProbe, "syscalls"}, /*as_nobody=*/false));
  const auto filtered = syscall_results(run_outside({kProbe, "syscalls"}, /*as_nobody=*/false, /*with_profile=*/true));
  const std::set<std::string> unreached = expect_denied(outside, filtered);
  // Only calls this kernel was built without may be unprovable here.
  for (const std::string& name : unreached)
    EXPECT_TRUE(name == "kexec_load" || name == "init_module" || name == "delete_module") << name << " " << outside.at(name);
  EXPECT_LE(unreached.size(), 3u);
}

// Inside a sandbox, against the same probes run as nobody on the host: what an unprivileged process can
// do (user namespaces, io_uring, userfaultfd, keyrings, process_vm_*, ptrace, personality, kcmp, ...)
// is refused by the sandbox's profile, not by the lack of privileges.
TEST_F(SandboxTest, SeccompDeniesWhatAnUnprivilegedProcessCouldDo) {
  const auto outside = syscall_results(run_outside({kProbe, "syscalls"}, /*as_nobody=*/true));
  const auto inside = syscall_results(run_inside({kProbe, "syscalls"}, {}, {kProbe}));
  expect_denied(outside, inside);
  for (const char* name : {"unshare_user", "clone_newuser", "clone3", "open_tree", "userfaultfd", "keyctl", "add_key",
                           "process_vm_readv", "process_vm_writev", "ptrace", "personality_no_randomize", "kcmp",
                           "pidfd_getfd", "fsconfig", "mount_setattr", "clock_settime"})
    EXPECT_TRUE(reached(outside.at(name))) << name << " should be open to nobody on the host: " << outside.at(name);
  EXPECT_EQ(inside.at("clone_newuser"), EPERM);
  EXPECT_EQ(inside.at("clone3"), ENOSYS);  // glibc and libuv then fall back to clone
}

TEST_F(SandboxTest, ProcIsMaskedAsContainerRuntimesMaskIt) {
  std::vector<std::string> argv = {kProbe, "paths"};
  for (const char* p : kMaskedProcPaths) argv.push_back(p);
  for (const char* p : kReadOnlyProcPaths) argv.push_back(p);
  const Result out = run_outside(argv, /*as_nobody=*/false);
  const Result in = run_inside(argv, {}, {kProbe});
  std::map<std::string, std::string> outside, inside;
  for (const auto& [r, m] : {std::pair{&out, &outside}, std::pair{&in, &inside}}) {
    std::istringstream lines(r->out);
    std::string path, rest;
    while (lines >> path && std::getline(lines, rest)) (*m)[path] = rest;
  }
  int masked = 0, read_only = 0;
  for (const char* p : kMaskedProcPaths) {
    if (outside[p].find("exists=1 proc=1") == std::string::npos) continue;  // not on this kernel
    ++masked;
    EXPECT_NE(inside[p].find("exists=1 proc=0"), std::string::npos) << p << ": " << inside[p];
    if (outside[p].find("bytes=16") != std::string::npos) {  // content on the host: none inside
      EXPECT_NE(inside[p].find("bytes=0"), std::string::npos) << p << ": " << inside[p];
    }
  }
  for (const char* p : kReadOnlyProcPaths) {
    if (outside[p].find("exists=1 proc=1 rdonly=0") == std::string::npos) continue;
    ++read_only;
    EXPECT_NE(inside[p].find("exists=1 proc=1 rdonly=1"), std::string::npos) << p << ": " << inside[p];
  }
  EXPECT_GE(masked, 2) << out.out;  // /proc/keys and /proc/timer_list at least
  EXPECT_GE(read_only, 1) << out.out;  // /proc/sys at least
}

TEST_F(SandboxTest, NoCapabilitiesNoNewPrivilegesAndSeccomp) {
  const std::string probe = "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status";
  const Result out = sh_outside(probe, /*as_nobody=*/true);
  EXPECT_EQ(out.out.find("CapBnd:\t0000000000000000"), std::string::npos) << out.out;  // setuid keeps the bounding set
  EXPECT_NE(out.out.find("NoNewPrivs:\t0"), std::string::npos) << out.out;
  const Result r = sh(probe);
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    EXPECT_NE(r.out.find(std::string(set) + ":\t0000000000000000"), std::string::npos) << set << "\n" << r.out;
  EXPECT_NE(r.out.find("NoNewPrivs:\t1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Seccomp:\t2"), std::string::npos) << r.out;
}

TEST_F(SandboxTest, OnlyLoopbackNetwork) {
  const std::string probe = "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort";
  const Result out = sh_outside(probe, /*as_nobody=*/true);
  if (out.out == "lo\n") GTEST_SKIP() << "the host has only a loopback device: nothing to hide";
  EXPECT_EQ(sh(probe).out, "lo\n");
}

TEST_F(SandboxTest, MemoryLimitKillsAndIsReported) {
  CgroupLimits limits;
  limits.memory_mb = 48;
  const Result r = sh("exec /usr/bin/python3 -c 'x = bytearray(400 * 1024 * 1024); print(len(x))'", limits);
  EXPECT_FALSE(r.exit.exited && r.exit.code == 0) << r.out;
  EXPECT_TRUE(r.exit.oom_killed) << r.out;
}

TEST_F(SandboxTest, PidsLimitStopsForkBombs) {
  EXPECT_EQ(sh_outside(kForkThirty, /*as_nobody=*/true).out, "30\n");
  CgroupLimits limits;
  limits.pids_max = 8;
  const Result r = sh(kForkThirty, limits);
  // The shell could not start all 30 sleeps; the sandbox then kills what is left on exit.
  EXPECT_NE(r.out, "30\n") << r.out;
}

TEST_F(SandboxTest, CpuQuotaChangesAtRunTime) {
  SandboxSpec spec;
  spec.name = "test-cpu-" + std::to_string(getpid());
  spec.argv = {"/bin/sleep", "5"};
  spec.limits.cpu_millicores = 500;
  Sandbox box(spec);
  EXPECT_EQ(box.cgroup()->cpu_quota_millicores(), 500);
  box.cgroup()->set_cpu_quota(1500);
  EXPECT_EQ(box.cgroup()->cpu_quota_millicores(), 1500);
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

// The user-namespace mode, as an operator who is not root gets it: this binary re-run as nobody (no
// supplementary groups) with HEARTH_ROOTLESS_CHILD=1 runs RootlessChild.*, which skip otherwise.
TEST(SandboxRootless, AsNobodySandboxesUseAUserNamespace) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to become nobody";
  const Result r = run_outside({"/proc/self/exe", "--gtest_filter=RootlessChild.*"}, /*as_nobody=*/true,
                               /*with_profile=*/false, "HEARTH_ROOTLESS_CHILD=1");
  const std::string& text = r.out;
  EXPECT_EQ(r.exit.code, 0) << text;
  EXPECT_NE(text.find("[  PASSED  ] 6 tests"), std::string::npos) << text;
  EXPECT_EQ(text.find("SKIPPED"), std::string::npos) << text;
}

class RootlessChild : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::getenv("HEARTH_ROOTLESS_CHILD")) GTEST_SKIP() << "run by SandboxRootless as nobody";
    ASSERT_NE(geteuid(), 0u);
  }
};

TEST_F(RootlessChild, PrivilegeIsTheUserNamespaceWhereTheKernelAllowsIt) {
  std::string why;
  const std::optional<Privilege> p = Sandbox::privilege(&why);
  std::ifstream clone_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
  int allowed = 1;
  if (clone_sysctl) clone_sysctl >> allowed;
  if (allowed == 0) {
    EXPECT_FALSE(p) << "the kernel forbids unprivileged user namespaces";
    EXPECT_NE(why.find("unprivileged_userns_clone"), std::string::npos) << why;
    SandboxSpec spec;
    spec.argv = {"/bin/true"};
    EXPECT_THROW(Sandbox box(spec), std::runtime_error);
    return;
  }
  ASSERT_EQ(p, Privilege::kUserNamespace) << why;
}

TEST_F(RootlessChild, IsolatedLikeTheRootMode) {
  if (!Sandbox::supported(nullptr)) GTEST_SKIP() << "no unprivileged user namespaces";
  SandboxPool pool("rootless", 2);  // nothing to pool without cgroups: every take falls back
  const Result r = sh("echo pid=$$; id -u; id -un; hostname; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '; "
                      "test -e /etc/shadow && echo shadow; echo done",
                      {}, {}, &pool);
  EXPECT_EQ(r.exit.code, 0) << r.out;
  EXPECT_EQ(r.out, "pid=1\n65534\nnobody\nhearth\nlo\ndone\n");
  EXPECT_EQ(pool.misses(), 1u);
  SandboxSpec spec;
  spec.argv = {"/bin/true"};
  Sandbox box(spec);
  EXPECT_EQ(box.cgroup(), nullptr);
  EXPECT_EQ(box.wait().code, 0);
}

TEST_F(RootlessChild, SeccompCapabilitiesAndProcAsInTheRootMode) {
  if (!Sandbox::supported(nullptr)) GTEST_SKIP() << "no unprivileged user namespaces";
  // This process is nobody already: the outside probes run as it.
  const auto outside = syscall_results(run_outside({kProbe, "syscalls"}, /*as_nobody=*/false));
  const auto inside = syscall_results(run_inside({kProbe, "syscalls"}, {}, {kProbe}));
  expect_denied(outside, inside);
  EXPECT_TRUE(reached(outside.at("unshare_user")));
  EXPECT_EQ(inside.at("unshare_user"), EPERM);
  const Result caps = sh("grep -E '^(CapBnd|CapEff|CapPrm|NoNewPrivs|Seccomp):' /proc/self/status | tr -d '\\t' | tr '\\n' ' '");
  EXPECT_EQ(caps.out, "CapPrm:0000000000000000 CapEff:0000000000000000 CapBnd:0000000000000000 NoNewPrivs:1 Seccomp:2 ");
  const Result ro = sh("touch /proc/sys/probe 2>/dev/null; echo rc=$?; head -c 16 /proc/timer_list | wc -c");
  EXPECT_EQ(ro.out, "rc=1\n0\n") << ro.out;
}

// Without cgroups the limits are rlimits: RLIMIT_NPROC (counted in the sandbox's own user namespace) and
// RLIMIT_DATA. The same scripts run outside, as this same user, are not limited.
TEST_F(RootlessChild, RlimitsBoundProcessesAndMemory) {
  if (!Sandbox::supported(nullptr)) GTEST_SKIP() << "no unprivileged user namespaces";
  EXPECT_EQ(sh_outside(kForkThirty, false).out, "30\n");
  const std::string forks = kForkThirty;
  CgroupLimits limits;
  limits.pids_max = 8;
  const Result r = sh(forks, limits);
  EXPECT_NE(r.out, "30\n") << r.out;
  const std::string alloc = "exec /usr/bin/python3 -S -c 'x = bytearray(160 * 1024 * 1024); print(len(x))'";
  const Result big = sh_outside(alloc, false);
  EXPECT_EQ(big.out, "167772160\n");
  limits = {};
  limits.memory_mb = 48;
  const Result capped = sh(alloc, limits);
  EXPECT_NE(capped.exit.code, 0) << capped.out;
  EXPECT_NE(capped.out.find("MemoryError"), std::string::npos) << capped.out;
  EXPECT_FALSE(capped.exit.oom_killed);  // no cgroup to report it
}

// Without a cgroup to kill, killing the supervisor must still end every process of the sandbox (PID 1
// dies with it by PR_SET_PDEATHSIG, and the kernel kills the rest of its PID namespace).
TEST_F(RootlessChild, KillingTheSandboxEndsItsWholeTree) {
  if (!Sandbox::supported(nullptr)) GTEST_SKIP() << "no unprivileged user namespaces";
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  SandboxSpec spec;
  spec.argv = {"/bin/sh", "-c", "sleep 30 & sleep 30 & echo started; wait"};
  spec.fds = {{out[1], 1}};
  Sandbox box(spec);
  close(out[1]);
  char buf[16] = {};
  ASSERT_GT(read(out[0], buf, sizeof buf), 0);
  close(out[0]);
  // The host pids of the tree: the supervisor's child (PID 1, the shell) and the shell's children.
  auto children = [](const std::string& pid) {
    std::ifstream in("/proc/" + pid + "/task/" + pid + "/children");
    std::vector<std::string> v;
    for (std::string c; in >> c;) v.push_back(c);
    return v;
  };
  std::vector<std::string> tree = children(std::to_string(box.pid()));
  ASSERT_EQ(tree.size(), 1u);
  for (const std::string& c : children(tree[0])) tree.push_back(c);
  ASSERT_EQ(tree.size(), 3u);  // sh and two sleeps
  box.kill();
  box.wait();
  for (int i = 0; i < 200; ++i) {  // bounded: 2 s
    bool any = false;
    for (const std::string& pid : tree) any = any || ::kill(std::stoi(pid), 0) == 0;
    if (!any) break;
    usleep(10'000);
  }
  for (const std::string& pid : tree) EXPECT_NE(::kill(std::stoi(pid), 0), 0) << pid << " outlived its sandbox";
}

TEST_F(RootlessChild, HostFilesAndTheOperatorsProcessesAreOutOfReach) {
  if (!Sandbox::supported(nullptr)) GTEST_SKIP() << "no unprivileged user namespaces";
  hearth::testing::TempDir host;  // this user's own files
  host.write("secret.txt", "top secret");
  const std::string probe = "cat " + host.str() + "/secret.txt; echo; kill -0 " + std::to_string(getpid()) + " 2>/dev/null; echo rc=$?";
  EXPECT_EQ(sh_outside(probe, false).out, "top secret\nrc=0\n");
  const Result r = sh(probe);
  EXPECT_EQ(r.out.find("top secret"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rc=1"), std::string::npos) << r.out;
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
