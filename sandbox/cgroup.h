// Cgroup: one container's resource limits — memory, CPU quota, PIDs — on cgroup v1 hosts (separate
// memory/cpu/pids hierarchies under /sys/fs/cgroup, as on these machines) and v2 hosts (unified
// hierarchy), detected at run time. Groups live under hearth/<name>. The CPU quota can change while the
// container runs (HyperFaaS-style vertical scaling). The destructor kills every process left in the
// group and removes it. Errors throw std::runtime_error naming the file.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::sandbox {

struct CgroupLimits {
  std::int64_t memory_mb = 256;
  std::int64_t cpu_millicores = 1000;  // 1000 = one core
  std::int64_t pids_max = 64;
};

// What a group has used since it was created (cumulative; read twice around a run for the run's share).
struct CgroupUsage {
  std::int64_t cpu_usec = 0;           // v2: cpu.stat usage_usec; v1: its processes' CPU time (/proc/<pid>/stat)
  std::int64_t memory_peak_bytes = 0;  // v2: memory.peak (memory.current where the kernel lacks it); v1: max_usage
  std::int64_t io_bytes = 0;           // v2: io.stat rbytes + wbytes; v1: its processes' /proc/<pid>/io
};

class Cgroup {
 public:
  Cgroup(const std::string& name, const CgroupLimits& limits);
  ~Cgroup();
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;

  static bool unified();  // cgroup v2 host?
  // Moves `pid` into the group. On v1 hosts this waits for an RCU grace period in the kernel (~16 ms on
  // these VMs when no other attach happened just before): SandboxPool takes it off the cold-start path.
  void add(pid_t pid);
  // The group's cgroup.procs files (v1: one per hierarchy): a process writing "0" to each joins the group
  // itself, e.g. a child between fork and exec, so that everything it starts is born inside.
  std::vector<std::string> procs_files() const;
  // Changes the limits (also while processes run in the group).
  void set_limits(const CgroupLimits& limits);
  void set_cpu_quota(std::int64_t millicores);
  std::int64_t cpu_quota_millicores() const;
  // What the group has used so far. Cost: a few small file reads (v1: two per process in the group).
  CgroupUsage usage() const;
  // True once the kernel's OOM killer has killed a process of this group.
  bool oom_killed() const;
  // Kills every process in the group (SIGKILL) and waits until it is empty (bounded).
  void kill_all();

  // Removes the groups a dead process left behind (a killed invoker never ran its destructors): every
  // hearth/hearth-<pid>-* group whose <pid> is no longer a process (or a zombie, or a process that
  // started after the group was made: a reused pid; sandbox/owner_process.h), after killing what still
  // runs in it.
  // Groups of live processes are untouched. Returns how many group directories were removed.
  static std::size_t remove_orphans();

 private:
  std::vector<std::string> dirs_;  // v1: memory, cpu, pids group dirs; v2: one dir
  bool v2_ = false;
};

}  // namespace hearth::sandbox
