// Sandbox: runs one container's process tree isolated from the host and from other containers:
//   - new mount, PID, IPC, UTS and network namespaces (the network has only a loopback device, down);
//   - a fresh root: a tmpfs with read-only bind mounts of /usr and /etc (Debian's /bin, /lib, ... are
//     symlinks into /usr), of each `read_only_paths` entry at the same path (runtime scripts, the code
//     directory), a private size-limited tmpfs /tmp, a new /proc, and /dev/{null,zero,urandom};
//   - cgroup limits (memory, CPU quota, PIDs) on v1 or v2 hosts, joined before the program runs;
//   - an unprivileged user (nobody, 65534) with no capabilities, and a seccomp filter denying mount,
//     namespace, ptrace, module, reboot, keyring, clock and bpf/perf system calls (EPERM);
// then execs `argv`. Parent fds listed in `fds` appear at the given numbers in the program.
// The Sandbox object owns the process: the destructor kills and reaps it and removes its cgroup.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sandbox/cgroup.h"

namespace hearth::sandbox {

struct SandboxSpec {
  std::string name;  // unique per live sandbox (cgroup name)
  std::vector<std::string> argv;
  std::vector<std::string> read_only_paths;  // host directories/files visible at the same path, read-only
  std::vector<std::pair<int, int>> fds;      // parent fd → fd number in the program
  CgroupLimits limits;
  std::int64_t tmp_mb = 64;
  std::string hostname = "hearth";
};

struct ExitInfo {
  bool exited = false;  // normal exit with `code`
  int code = 0;
  int signal = 0;       // killed by this signal
  bool oom_killed = false;
};

class SandboxPool;

class Sandbox {
 public:
  // Starts the program; throws std::runtime_error if the sandbox cannot be set up. With a `pool` that has
  // a shell ready, the process and its cgroup come from it (no cgroup attach on this path) and the
  // cgroup's name is the pool's, not `spec.name`.
  explicit Sandbox(const SandboxSpec& spec, SandboxPool* pool = nullptr);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  pid_t pid() const { return pid_; }  // the host pid of the sandbox's supervisor process
  Cgroup& cgroup() { return *cgroup_; }
  ExitInfo wait();  // blocks until the program exits
  void kill();

  // Whether this host can run sandboxes (root, namespaces, cgroups); `why` says what is missing.
  static bool supported(std::string* why);

 private:
  std::unique_ptr<Cgroup> cgroup_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  ExitInfo exit_;
};

// The supervisor's work, in a process already in its cgroup: keep only `spec.fds` (at their numbers),
// enter new namespaces, fork PID 1 to build the root and exec the program, wait for it and exit with its
// status. For Sandbox and SandboxPool's parked shells; never returns.
[[noreturn]] void supervise(const SandboxSpec& spec);

}  // namespace hearth::sandbox
