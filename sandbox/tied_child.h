// spawn_tied_child: forks and execs a helper process of the platform — a host tool (dpkg-deb, python3 -m
// compileall; invoker/), gVisor's runsc (snapshot/runsc_container.h) — as a child that dies with its
// parent. A plain fork+exec or posix_spawn child outlives a SIGKILLed invoker: the chaos tests found
// `python3 -m compileall` still writing into a library's partial directory after the restarted invoker
// had begun preparing the same library there (docs/libraries.md, "Crash safety").
// Contract: `argv[0]` is an absolute path, or a bare name looked up on PATH (execvp); the child's stdin,
// stdout and stderr are `in_fd`, `out_fd`, `err_fd` (-1: /dev/null); nothing else is inherited that is
// close-on-exec. The child gets SIGKILL when the *thread* that called spawn_tied_child ends
// (PR_SET_PDEATHSIG), so call it from a thread that lives as long as the child should; if the parent died
// before the child armed that, the child exits at once (kParentGone). The child starts with no signal
// blocked (the invoker blocks SIGINT/SIGTERM for its signal thread) and SIGPIPE at its default. With
// `join_cgroups`, it writes "0" to each of those cgroup.procs files before exec and, if it cannot, says
// which on its stderr and exits kSetupFailed: it never runs outside the limits it was given. A program
// that cannot be executed says so on the child's stderr and exits kNotExecuted. Between fork and exec the
// child makes only async-signal-safe calls (and, for a bare name, glibc's execvp, which allocates
// nothing). Returns the pid (the caller reaps it); throws std::runtime_error naming argv[0] if fork fails
// or argv is empty. Cost: one fork + exec.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace hearth::sandbox {

inline constexpr int kNotExecuted = 127;  // exec failed (as a shell's status for a missing program)
inline constexpr int kSetupFailed = 126;  // a descriptor or a cgroup could not be set up
inline constexpr int kParentGone = 125;   // the parent had died before the child was tied to it

struct TiedChild {
  std::vector<std::string> argv;
  int in_fd = -1, out_fd = -1, err_fd = -1;  // -1: /dev/null
  std::vector<std::string> join_cgroups = {};  // cgroup.procs files to join before exec
};

pid_t spawn_tied_child(const TiedChild& child);

}  // namespace hearth::sandbox
