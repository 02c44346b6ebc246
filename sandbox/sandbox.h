// Sandbox: runs one container's process tree isolated from the host and from other containers:
//   - new mount, PID, IPC, UTS and network namespaces (the network has only a loopback device, down), or
//     instead of a new network namespace the one `netns` names (container networks, docs/network.md);
//   - a fresh root: a tmpfs with a read-only bind mount of /usr (Debian's /bin, /lib, ... are symlinks
//     into /usr), each `read_only_paths` entry at the same path (runtime scripts, the code directory), a
//     minimal /etc written for the sandbox (kEtcFiles: its users, localhost, no resolver), a private
//     size-limited tmpfs /tmp, /dev/{null,zero,urandom}, and a new /proc masked as container runtimes mask
//     it (kMaskedProcPaths hidden, kReadOnlyProcPaths read-only);
//   - an unprivileged user (nobody, 65534) with every capability set empty (bounding, ambient,
//     inheritable, permitted, effective), no_new_privs, and the seccomp allow list of seccomp_profile.h;
// then execs `argv`. Parent fds listed in `fds` appear at the given numbers in the program.
// Two privilege modes (Sandbox::privilege): as root with writable cgroups, limits are cgroups (memory,
// CPU quota, PIDs) joined before the program runs; otherwise, where the kernel allows unprivileged user
// namespaces, the supervisor first enters a new user namespace mapping only the caller's uid/gid (to 65534
// inside), as bubblewrap does, and the limits are rlimits (RLIMIT_DATA = memory, RLIMIT_NPROC = PIDs,
// counted per sandbox since each has its own user namespace; no CPU quota, no OOM report).
// The Sandbox object owns the process: the destructor kills and reaps it and removes its cgroup.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
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
  // A zygote (sandbox/zygote.h): the same isolation, but its /proc is left unmasked and its root has an
  // empty /mnt (its forks build their own roots and mount their own /proc there), and it runs under the
  // zygote seccomp profile (seccomp_profile.h), which also allows the namespace and mount calls.
  bool zygote = false;
  // Networking (net/container_network.h, docs/network.md): when set, the supervisor joins this network
  // namespace (a /run/netns file, owned by the initial user namespace: root mode only, before anything
  // else changes) instead of creating one with only loopback; `net_cgroup`, when set, is a cgroup v2
  // directory PID 1 is created in (clone3 CLONE_INTO_CGROUP: no migration), so every socket of the
  // program belongs to it (the tenant namespace's nftables pin the container's source address by it).
  std::string netns;
  std::string net_cgroup;
};

struct ExitInfo {
  bool exited = false;  // normal exit with `code`
  int code = 0;
  int signal = 0;       // killed by this signal
  bool oom_killed = false;
};

class SandboxPool;

// /proc entries a sandbox hides (files: /dev/null bound over them; directories: an empty read-only
// tmpfs), as runc/containerd/Docker's default maskedPaths, and the ones it makes read-only (readonlyPaths).
inline constexpr const char* kMaskedProcPaths[] = {
    "/proc/kcore",      "/proc/keys",       "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/interrupts", "/proc/acpi",          "/proc/asound",     "/proc/scsi"};
inline constexpr const char* kReadOnlyProcPaths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                     "/proc/sysrq-trigger"};
// The files of a sandbox's /etc besides ld.so.cache and alternatives (bound read-only from the host: the
// dynamic linker's index of /usr/lib, and the Debian links some of its entries go through) and localtime
// (a link to UTC). "{hostname}" is replaced by the spec's hostname.
struct EtcFile {
  const char* name;
  const char* content;
};
inline constexpr EtcFile kEtcFiles[] = {
    {"passwd", "root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin\n"},
    {"group", "root:x:0:\nnogroup:x:65534:\n"},
    {"hosts", "127.0.0.1\tlocalhost {hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
    {"hostname", "{hostname}\n"},
    {"resolv.conf", "# no name servers: a sandbox has only a loopback network\n"},
    {"nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files\n"},
};

enum class Privilege {
  kRoot,           // root with writable cgroups: cgroup limits, pooled shells
  kUserNamespace,  // unprivileged user namespaces: rlimits, no cgroups
};

class Sandbox {
 public:
  // Starts the program; throws std::runtime_error if the sandbox cannot be set up. With a `pool` that has
  // a shell ready, the process and its cgroup come from it (no cgroup attach on this path) and the
  // cgroup's name is the pool's, not `spec.name`.
  explicit Sandbox(const SandboxSpec& spec, SandboxPool* pool = nullptr);
  // A sandbox whose supervisor is not this process's child but a zygote's fork (sandbox/zygote.h):
  // `pidfd` (owned) tells when it has ended; `keep` (its zygote) lives at least as long as it.
  Sandbox(pid_t pid, int pidfd, std::unique_ptr<Cgroup> cgroup, std::shared_ptr<void> keep);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  pid_t pid() const { return pid_; }  // the host pid of the sandbox's supervisor process
  Cgroup* cgroup() { return cgroup_.get(); }  // null in the user-namespace mode
  ExitInfo wait();  // blocks until the program exits
  void kill();

  // How this process can run sandboxes: kRoot (euid 0 and /sys/fs/cgroup writable), else
  // kUserNamespace when the kernel lets it create a user namespace (kernel.unprivileged_userns_clone,
  // user.max_user_namespaces, tried once by a child), else nullopt and `why` (may be null) says why.
  // Decided once per process.
  static std::optional<Privilege> privilege(std::string* why);
  static bool supported(std::string* why) { return privilege(why).has_value(); }

 private:
  std::unique_ptr<Cgroup> cgroup_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  ExitInfo exit_;
  int pidfd_ = -1;  // an adopted sandbox (not our child): waited for through its pidfd
  std::shared_ptr<void> keep_;
};

// The supervisor's work, in a process already in its cgroup (as root): keep only `spec.fds` (at their
// numbers), enter a user namespace first in the kUserNamespace mode, then new namespaces, fork PID 1 to
// build the root and exec the program, wait for it and exit with its status. For Sandbox and
// SandboxPool's parked shells; never returns.
[[noreturn]] void supervise(const SandboxSpec& spec);

// In a process a zygote has just forked (sandbox/zygote.h; its only descriptors besides 0-2 are
// `report`): reports its pid to the platform (SCM_CREDENTIALS on `report`, the kernel translates it) and
// waits for a first spec, its view (hostname, /tmp size, read-only paths, which must be in the zygote's
// view), which the platform sends once it has moved the process into the container's cgroup. Then it
// enters a user namespace of its own mapping only nobody, new mount/UTS/IPC/network/PID namespaces (not
// network when the view names a `netns`: the zygote runs in that container network, and the platform
// has put this process in its own `net_cgroup`-like pinning directory already), and
// forks PID 1, which builds the root from the zygote's view, drops every privilege and loads the seccomp
// profile on top of the zygote's — all before a cold start needs it — and sends one byte ("r", ready) on
// `report`. PID 1 then waits for a second spec
// (the runtime's descriptors and, without a cgroup, the memory and PID limits as rlimits), keeps only
// those descriptors and returns 0 to the caller (the runtime, which serves the function). The forking
// process stays the supervisor and never returns. Exits 0 when `report` closes before a spec arrives.
// `attached`, when given, runs in PID 1 once it is isolated, before "r" (the zygote's warm-up: the pages
// it copies are PID 1's own and charged to the container's cgroup, off the cold-start path).
int enter_forked_sandbox(int report, void (*attached)() = nullptr);

}  // namespace hearth::sandbox
