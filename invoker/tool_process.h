// spawn_tool: runs one of the host's tools for the invoker (dpkg-deb, python3 -m compileall) as a child
// that dies with the invoker. A tool started with posix_spawn outlives a SIGKILLed invoker: the chaos
// tests found `python3 -m compileall` still writing .pyc files into a library's partial directory
// (<sha>.tmp) after the restarted invoker had removed the cache and begun preparing the same library
// again there (tests/e2e/crash_test.cc, CrashLibraryPlan.KilledWhileCompiling; docs/libraries.md, "Crash
// safety").
// Contract: `argv[0]` is an absolute path; the child's stdout and stderr go to `out_fd` / `err_fd` (-1:
// /dev/null), stdin is /dev/null, nothing else is inherited that is close-on-exec. It gets SIGKILL when
// the *thread* that called spawn_tool ends (PR_SET_PDEATHSIG), so call it from the thread that waits for
// it; if the invoker died before the child armed that, the child exits at once. The child starts with
// no signal blocked. Returns its pid (the caller reaps it); throws std::runtime_error naming the tool if
// fork fails. A tool that cannot be executed (a missing binary) says so on its stderr and exits with
// kToolNotRun. Cost: one fork + exec.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace hearth::invoker {

inline constexpr int kToolNotRun = 127;  // the exit status of a child whose exec failed (as a shell's)

pid_t spawn_tool(const std::vector<std::string>& argv, int out_fd = -1, int err_fd = -1);

}  // namespace hearth::invoker
