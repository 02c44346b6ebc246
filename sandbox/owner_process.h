// owner_alive: whether the process that a platform name "hearth-<pid>-..." (a cgroup, a snapshot
// directory) belongs to still runs, for the sweeps a starting invoker makes of what killed ones left
// (Cgroup::remove_orphans, SnapshotStore's constructor). The owner runs if `pid` is a process that is not
// a zombie (a killed invoker whose parent has not reaped it yet is one) *and* that started no later than
// the named object was last modified (`named_path`'s mtime, never earlier than its creation): a process
// that started more than 1 s after it is another one under a reused pid (pid_max is 32,768 on many hosts, and a busy
// one reuses pids within minutes) — found by tests/e2e/crash_test.cc
// (CrashTest.CrashSnapshotKilledAndItsPidReusedBeforeTheRestart), where the restarted invoker took the
// process holding its dead predecessor's pid for that predecessor and left its cgroups and snapshots.
// A `named_path` that cannot be read counts as owned (nothing to sweep). An mtime later than the
// object's creation (kernfs may give a cgroup directory whose inode it dropped the time it reads it
// again) errs only towards keeping, as a pid-only check always did. The mtime is wall-clock time: a
// forward step of the clock by more than 1 s could make a live owner's objects made in its first
// (step − 1 s) look older than it (NTP steps at boot, before a platform runs; a resumed VM). Cost: two small /proc and
// stat reads.
#pragma once

#include <sys/types.h>

#include <string>

namespace hearth::sandbox {

bool owner_alive(pid_t pid, const std::string& named_path);

}  // namespace hearth::sandbox
