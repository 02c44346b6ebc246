// sandbox_probe: the probes tests/sandbox runs both outside a sandbox (as root, as nobody, as root under the
// seccomp profile alone) and inside one, so that each denial is shown against the same probe succeeding
// without the protection.
//   sandbox_probe syscalls       one line per probe: "<name> <errno>" (0 = the call succeeded). Each probe
//                                runs in its own forked child, so its effects (namespaces, personality,
//                                keys, tracing) end with it.
//   sandbox_probe paths P...     one line per path: "<path> exists=<0|1> proc=<0|1> rdonly=<0|1> bytes=<n>"
//                                (proc: the file system is procfs; bytes: read from the first 16, -errno)
// x86_64 only, like the profile.
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/kcmp.h>
#include <linux/magic.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

// 0 when `rc` is a success, else errno.
int result(long rc) { return rc < 0 ? errno : 0; }

// A clone-like call: in the child (0) exit at once; in the parent reap it.
int reap(long pid) {
  if (pid == 0) _exit(0);
  if (pid < 0) return errno;
  waitpid(static_cast<pid_t>(pid), nullptr, 0);
  return 0;
}

int clone_with(unsigned long flags) { return reap(syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0)); }

int mount_tmpfs() {
  // In a new mount namespace where possible, so that nothing shows on the host; inside a sandbox the
  // unshare is denied and the mount is tried in the sandbox's own namespace.
  if (unshare(CLONE_NEWNS) == 0) mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
  char dir[] = "/tmp/hearth-probe-XXXXXX";
  if (!mkdtemp(dir)) return errno;
  const int rc = result(mount("tmpfs", dir, "tmpfs", 0, "size=1m"));
  if (rc == 0) umount2(dir, MNT_DETACH);
  rmdir(dir);
  return rc;
}

struct Probe {
  const char* name;
  int (*run)();
};

char buffer[64] = "hearth";

const Probe kProbes[] = {
    {"unshare_user", [] { return result(unshare(CLONE_NEWUSER)); }},
    {"unshare_mount", [] { return result(unshare(CLONE_NEWNS)); }},
    {"unshare_net", [] { return result(unshare(CLONE_NEWNET)); }},
    {"clone_plain", [] { return clone_with(0); }},
    {"clone_newns", [] { return clone_with(CLONE_NEWNS); }},
    {"clone_newuser", [] { return clone_with(CLONE_NEWUSER); }},
    {"clone_newpid", [] { return clone_with(CLONE_NEWPID); }},
    {"clone_newnet", [] { return clone_with(CLONE_NEWNET); }},
    {"clone_newuts", [] { return clone_with(CLONE_NEWUTS); }},
    {"clone_newipc", [] { return clone_with(CLONE_NEWIPC); }},
    {"clone_newcgroup", [] { return clone_with(CLONE_NEWCGROUP); }},
    {"clone3",
     [] {
       clone_args args{};
       args.exit_signal = SIGCHLD;
       return reap(syscall(SYS_clone3, &args, sizeof args));
     }},
    {"setns",
     [] {
       const int fd = open("/proc/self/ns/uts", O_RDONLY);
       return fd < 0 ? errno : result(setns(fd, CLONE_NEWUTS));
     }},
    {"mount", mount_tmpfs},
    {"umount2", [] { return result(umount2("/hearth-probe-none", 0)); }},
    {"pivot_root", [] { return result(syscall(SYS_pivot_root, "/hearth-probe-none", "/hearth-probe-none")); }},
    {"chroot", [] { return result(chroot("/")); }},
    {"fsopen", [] { return result(syscall(SYS_fsopen, "tmpfs", 0)); }},
    {"fspick", [] { return result(syscall(SYS_fspick, AT_FDCWD, "/", 0)); }},
    {"fsconfig", [] { return result(syscall(SYS_fsconfig, -1, 0, "ro", nullptr, 0)); }},
    {"fsmount", [] { return result(syscall(SYS_fsmount, -1, 0, 0)); }},
    {"move_mount", [] { return result(syscall(SYS_move_mount, -1, "", -1, "", 0)); }},
    {"open_tree", [] { return result(syscall(SYS_open_tree, AT_FDCWD, "/", 0)); }},
    {"mount_setattr", [] { return result(syscall(SYS_mount_setattr, -1, "", 0, nullptr, 0)); }},
    {"io_uring_setup",
     [] {
       io_uring_params p{};
       return result(syscall(SYS_io_uring_setup, 1, &p));
     }},
    {"io_uring_enter", [] { return result(syscall(SYS_io_uring_enter, -1, 0, 0, 0, nullptr, 0)); }},
    {"io_uring_register", [] { return result(syscall(SYS_io_uring_register, -1, 0, nullptr, 0)); }},
    {"userfaultfd", [] { return result(syscall(SYS_userfaultfd, 1 /* UFFD_USER_MODE_ONLY */)); }},
    {"bpf", [] { return result(syscall(SYS_bpf, -1, nullptr, 0)); }},
    {"perf_event_open",
     [] {
       perf_event_attr attr{};
       attr.size = sizeof attr;
       attr.type = PERF_TYPE_SOFTWARE;
       attr.config = PERF_COUNT_SW_TASK_CLOCK;
       attr.exclude_kernel = 1;
       attr.exclude_hv = 1;
       return result(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
     }},
    {"keyctl", [] { return result(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1)); }},
    {"add_key", [] { return result(syscall(SYS_add_key, "user", "hearth-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING)); }},
    {"request_key", [] { return result(syscall(SYS_request_key, "user", "hearth-probe-none", nullptr, 0)); }},
    {"process_vm_readv",
     [] {
       char out[8];
       iovec local{out, sizeof out}, remote{buffer, sizeof out};
       return result(syscall(SYS_process_vm_readv, getpid(), &local, 1, &remote, 1, 0));
     }},
    {"process_vm_writev",
     [] {
       char in[8] = "probe";
       iovec local{in, sizeof in}, remote{buffer, sizeof in};
       return result(syscall(SYS_process_vm_writev, getpid(), &local, 1, &remote, 1, 0));
     }},
    {"ptrace", [] { return result(ptrace(PTRACE_TRACEME, 0, nullptr, nullptr)); }},
    {"personality_no_randomize", [] { return result(personality(ADDR_NO_RANDOMIZE)); }},
    {"personality_query", [] { return result(personality(0xffffffff)); }},
    {"kcmp", [] { return result(syscall(SYS_kcmp, getpid(), getpid(), KCMP_VM, 0, 0)); }},
    {"pidfd_getfd",
     [] {
       const long pidfd = syscall(SYS_pidfd_open, getpid(), 0);
       return pidfd < 0 ? errno : result(syscall(SYS_pidfd_getfd, pidfd, 0, 0));
     }},
    {"kexec_load", [] { return result(syscall(SYS_kexec_load, 0, 0, nullptr, 0xdead0000UL)); }},
    {"init_module", [] { return result(syscall(SYS_init_module, nullptr, 0, "")); }},
    {"delete_module", [] { return result(syscall(SYS_delete_module, "hearth_probe_none", 0)); }},
    {"reboot", [] { return result(syscall(SYS_reboot, 0, 0, 0, nullptr)); }},  // bad magic: EINVAL
    {"swapon", [] { return result(syscall(SYS_swapon, "/hearth-probe-none", 0)); }},
    {"acct", [] { return result(syscall(SYS_acct, "/hearth-probe-none/x")); }},
    {"clock_settime",
     [] {
       timespec ts{};
       return result(clock_settime(CLOCK_MONOTONIC, &ts));  // not settable: EINVAL once reached
     }},
    {"open_by_handle_at", [] { return result(syscall(SYS_open_by_handle_at, -1, nullptr, 0)); }},
    {"syslog", [] { return result(syscall(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, nullptr, 0)); }},
    {"socket_inet", [] { return result(socket(AF_INET, SOCK_STREAM, 0)); }},
    {"socket_alg", [] { return result(socket(AF_ALG, SOCK_SEQPACKET, 0)); }},
    {"socket_vsock", [] { return result(socket(AF_VSOCK, SOCK_STREAM, 0)); }},
    {"io_setup",
     [] {
       aio_context_t ctx = 0;
       return result(syscall(SYS_io_setup, 1, &ctx));
     }},
};

int run_in_child(int (*probe)()) {
  const pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) _exit(probe() & 0xff);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

void probe_path(const char* path) {
  struct stat st {};
  const bool exists = lstat(path, &st) == 0;
  struct statfs fs {};
  const bool proc = statfs(path, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
  struct statvfs vfs {};
  const bool rdonly = statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
  long bytes = 0;
  if (exists && !S_ISDIR(st.st_mode)) {
    const int fd = open(path, O_RDONLY | O_NONBLOCK);
    char buf[16];
    bytes = fd < 0 ? -errno : read(fd, buf, sizeof buf);
    if (fd >= 0) close(fd);
  }
  std::printf("%s exists=%d proc=%d rdonly=%d bytes=%ld\n", path, exists, proc, rdonly, bytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "syscalls") == 0) {
    for (const Probe& p : kProbes) std::printf("%s %d\n", p.name, run_in_child(p.run));
    return 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "paths") == 0) {
    for (int i = 2; i < argc; ++i) probe_path(argv[i]);
    return 0;
  }
  std::fprintf(stderr, "usage: sandbox_probe syscalls | paths PATH...\n");
  return 2;
}
