#include "sandbox/seccomp_profile.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace hearth::sandbox {

const std::vector<const char*>& allowed_syscalls() {
  // Docker's default allow list (moby/profiles, without capabilities) for x86_64, minus ptrace and
  // process_vm_readv/writev. Grouped: files, memory, processes and signals, time, IPC and sockets, ids.
  static const std::vector<const char*> names = {
      // files and descriptors
      "access", "chdir", "chmod", "chown", "close", "close_range", "copy_file_range", "creat", "dup", "dup2", "dup3",
      "faccessat", "faccessat2", "fadvise64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
      "fchmodat2", "fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "flock", "fremovexattr",
      "fsetxattr", "fstat", "fstatfs", "fsync", "ftruncate", "futimesat", "getcwd", "getdents", "getdents64",
      "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "io_cancel", "ioctl",
      "io_destroy", "io_getevents", "io_pgetevents", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "lchown",
      "lgetxattr", "link", "linkat", "listxattr", "llistxattr", "lremovexattr", "lseek", "lsetxattr", "lstat",
      "mkdir", "mkdirat", "mknod", "mknodat", "name_to_handle_at", "newfstatat", "open", "openat", "openat2",
      "pipe", "pipe2", "pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read", "readahead",
      "readlink", "readlinkat", "readv", "removexattr", "rename", "renameat", "renameat2", "rmdir", "sendfile",
      "setxattr", "splice", "stat", "statfs", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
      "tee", "truncate", "umask", "unlink", "unlinkat", "utime", "utimensat", "utimes", "vmsplice", "write",
      "writev", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2",
      "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "poll", "ppoll", "pselect6", "select", "signalfd",
      "signalfd4", "timerfd_create", "timerfd_gettime", "timerfd_settime", "memfd_create", "cachestat",
      // memory
      "brk", "madvise", "membarrier", "memfd_secret", "mincore", "mlock", "mlock2", "mlockall", "mmap",
      "mprotect", "mremap", "msync", "munlock", "munlockall", "munmap", "pkey_alloc", "pkey_free",
      "pkey_mprotect", "remap_file_pages", "map_shadow_stack", "mseal",
      // processes, threads, signals, scheduling, limits
      "arch_prctl", "capget", "capset", "execve", "execveat", "exit", "exit_group", "fork", "vfork", "futex",
      "futex_waitv", "futex_wait", "futex_wake", "futex_requeue", "get_robust_list", "set_robust_list",
      "get_thread_area", "set_thread_area", "set_tid_address", "gettid", "getpid", "getppid", "getpgid",
      "getpgrp", "getsid", "setpgid", "setsid", "getpriority", "setpriority", "getrlimit", "setrlimit",
      "prlimit64", "getrusage", "getcpu", "kill", "tkill", "tgkill", "pause", "pidfd_open", "pidfd_send_signal",
      "prctl", "process_mrelease", "restart_syscall", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
      "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait", "rt_tgsigqueueinfo", "sigaltstack",
      "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
      "sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity", "sched_setattr", "sched_setparam",
      "sched_setscheduler", "sched_yield", "seccomp", "sysinfo", "uname", "wait4", "waitid", "modify_ldt",
      "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "getrandom", "uretprobe",
      // time (reading; setting the clocks is not listed)
      "adjtimex", "alarm", "clock_adjtime", "clock_getres", "clock_gettime", "clock_nanosleep", "getitimer",
      "setitimer", "gettimeofday", "nanosleep", "time", "times", "timer_create", "timer_delete",
      "timer_getoverrun", "timer_gettime", "timer_settime",
      // System V / POSIX IPC (private to the sandbox's IPC namespace) and sockets
      "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink", "msgctl", "msgget",
      "msgrcv", "msgsnd", "semctl", "semget", "semop", "semtimedop", "shmat", "shmctl", "shmdt", "shmget",
      "accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen", "recvfrom",
      "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown", "socketpair",
      // user and group ids (within what the kernel already permits an unprivileged process)
      "getegid", "geteuid", "getgid", "getgroups", "getresgid", "getresuid", "getuid", "setfsgid", "setfsuid",
      "setgid", "setgroups", "setregid", "setresgid", "setresuid", "setreuid", "setuid",
  };
  return names;
}

namespace {

// Compiles the profile with libseccomp into a classic BPF program (what seccomp_load would hand the
// kernel); an empty program and `*error` (a negative errno) on failure.
std::vector<sock_filter> compile(int* error, bool zygote = false) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (!ctx) {
    *error = -ENOMEM;
    return {};
  }
  // A binary tree over the syscall numbers instead of ~300 comparisons in a row (calls allowed without
  // argument checks are moreover cached by the kernel's seccomp action cache and skip the filter).
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  auto add = [&](int action, int nr, unsigned count, const scmp_arg_cmp* args) {
    if (rc == 0) rc = seccomp_rule_add_array(ctx, action, nr, count, args);
  };
  for (const char* name : allowed_syscalls()) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr < 0) continue;  // unknown to this libseccomp, or not a call of this architecture
    add(SCMP_ACT_ALLOW, nr, 0, nullptr);
  }
  if (zygote)
    for (const char* name : zygote_extra_syscalls()) add(SCMP_ACT_ALLOW, seccomp_syscall_resolve_name(name), 0, nullptr);
  constexpr scmp_datum_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                           CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;
  const scmp_arg_cmp no_namespaces[] = {SCMP_A0(SCMP_CMP_MASKED_EQ, kNamespaceFlags, 0)};
  add(SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, no_namespaces);
  add(SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, nullptr);
  for (scmp_datum_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL}) {
    const scmp_arg_cmp eq[] = {SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffULL, persona)};  // an unsigned int
    add(SCMP_ACT_ALLOW, SCMP_SYS(personality), 1, eq);
  }
  for (scmp_datum_t family : {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK}) {
    const scmp_arg_cmp eq[] = {SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffULL, family)};  // an int
    add(SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, eq);
  }
  // libseccomp 2.5 exports only to a descriptor: through a memfd.
  std::vector<sock_filter> program;
  const int fd = rc == 0 ? memfd_create("hearth-seccomp", MFD_CLOEXEC) : -1;
  if (rc == 0 && fd < 0) rc = -errno;
  if (rc == 0) rc = seccomp_export_bpf(ctx, fd);
  seccomp_release(ctx);
  if (rc == 0) {
    const off_t size = lseek(fd, 0, SEEK_END);
    program.resize(static_cast<std::size_t>(size) / sizeof(sock_filter));
    const auto bytes = static_cast<ssize_t>(program.size() * sizeof(sock_filter));
    if (size <= 0 || size % sizeof(sock_filter) != 0 || pread(fd, program.data(), bytes, 0) != bytes) {
      rc = -EIO;
      program.clear();
    }
  }
  if (fd >= 0) close(fd);
  *error = rc;
  return program;
}

struct Compiled {
  std::vector<sock_filter> program;
  int error = 0;
};

const Compiled& compiled() {
  static const Compiled c = [] {
    Compiled out;
    out.program = compile(&out.error);
    return out;
  }();
  return c;
}

}  // namespace

const std::vector<const char*>& zygote_extra_syscalls() {
  static const std::vector<const char*> names = {"unshare", "mount", "umount2", "pivot_root", "sethostname"};
  return names;
}

int install_zygote_seccomp_profile() {
  int error = 0;
  const std::vector<sock_filter> program = compile(&error, /*zygote=*/true);
  if (error != 0) return error;
  sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0 ? 0 : -errno;
}

int prepare_seccomp_profile() { return compiled().error; }

int install_seccomp_profile(bool fresh) {
  Compiled now;
  if (fresh) now.program = compile(&now.error);
  const Compiled& c = fresh ? now : compiled();
  if (c.error != 0) return c.error;
  sock_fprog prog{static_cast<unsigned short>(c.program.size()), const_cast<sock_filter*>(c.program.data())};
  return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0 ? 0 : -errno;
}

}  // namespace hearth::sandbox
