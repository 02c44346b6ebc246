// SeccompProfile: the system-call allow list every sandboxed program runs under, in the spirit of Docker's
// default profile (moby/profiles seccomp/default.json): a call not listed fails with EPERM (Docker's
// default action), so a program sees an ordinary error instead of being killed. On top of the list:
//   - clone is allowed only without namespace flags (CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|
//     NEWCGROUP masked to zero, argument filtering as Docker does); with any of them it is EPERM;
//   - clone3 fails with ENOSYS (its flags sit behind a pointer seccomp cannot read), so glibc and libuv
//     fall back to clone, as under Docker;
//   - personality is allowed only for the values Docker allows (query 0xffffffff, PER_LINUX 0,
//     PER_LINUX32 8, UNAME26 0x20000, PER_LINUX32|UNAME26 0x20008);
//   - socket only for AF_UNIX, AF_INET, AF_INET6 and AF_NETLINK (the network namespace has only loopback;
//     Docker allows more families, none of which a function here can use);
//   - stricter than Docker: ptrace, process_vm_readv/writev (allowed by Docker on kernels >= 4.8) are
//     denied. Never listed, so denied: mount/umount2/pivot_root/chroot, unshare/setns, the new mount API
//     (fsopen, fsconfig, fsmount, fspick, move_mount, open_tree, mount_setattr), io_uring_*, userfaultfd,
//     bpf, perf_event_open, keyctl/add_key/request_key, kexec_*, *_module, reboot, swapon/swapoff, acct,
//     clock/time setting, quotactl, syslog, lookup_dcookie, open_by_handle_at, iopl/ioperm, vhangup,
//     kcmp, pidfd_getfd, process_madvise, fanotify_init, the NUMA memory policy calls.
// Calls of other ABIs (x32, i386 via int 0x80) kill the process (libseccomp's bad-architecture action).
// docs/sandbox.md lists the calls and why; tests/sandbox prove each denial against the same probe run
// without the filter.
#pragma once

#include <vector>

namespace hearth::sandbox {

// The unconditionally allowed calls, by name (names this libseccomp does not know are skipped).
const std::vector<const char*>& allowed_syscalls();

// Compiles the profile to a BPF program once per process (libseccomp: ~1-3 ms) and keeps it, so that
// sandboxes forked afterwards only load it. Call before forking; returns 0 or a negative errno.
int prepare_seccomp_profile();

// Loads the profile (compiling it first if prepare_seccomp_profile was not called, or anew when `fresh`:
// benchmarks) into the calling thread and its future children. Needs PR_SET_NO_NEW_PRIVS or
// CAP_SYS_ADMIN. Returns 0 or a negative errno; on error nothing is loaded.
int install_seccomp_profile(bool fresh = false);

// The calls a zygote (sandbox/zygote.h) may make on top of the allow list, so that its forks can enter
// their own user namespace and namespaces and build their roots before they load the profile above:
// unshare, mount, umount2, pivot_root, sethostname. Everything else is as in the profile; a fork stacks
// the profile on this one, and the stricter filter decides, so it ends under exactly the profile's rules.
const std::vector<const char*>& zygote_extra_syscalls();
// Loads the zygote profile (compiled on each call: once per zygote). Returns 0 or a negative errno.
int install_zygote_seccomp_profile();

}  // namespace hearth::sandbox
