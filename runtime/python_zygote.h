// PythonZygote: SOCK's import cache (ATC'18) in the live platform (docs/zygotes.md). A zygote is a Python
// interpreter started in its own sandbox (sandbox.h, SandboxSpec::zygote) that has imported a library set
// (the empty set included) and then forks: a cold start of a function whose libraries it holds takes a
// fork instead of starting an interpreter and importing. The fork becomes a sandbox as isolated as a
// freshly started runtime before any function code runs (sandbox.h, enter_forked_sandbox): its own user
// namespace (only nobody mapped), mount/UTS/IPC/network/PID namespaces (with ZygoteOptions::netns, the
// zygote's tenant network namespace instead of a new one), a root built anew from the
// zygote's view holding only the runtime and the library paths, its own /tmp and masked /proc,
// its own cgroup (root: the platform moves it there before it receives its spec), nobody, no
// capabilities, no_new_privs, the function seccomp profile. It then serves the runtime protocol
// (docs/runtimes.md) with no code loaded: initialise it with inline source (RuntimeProcess::init_source),
// since a function's code directory is not in the zygote's view.
// Forks are parked ahead (prepare): each is forked, reports its host pid, is attached to a cgroup of its
// own (the v1 attach waits ~16 ms, as SandboxPool explains) and then builds its namespaces and root and
// drops its privileges, all off the cold-start path; start_sandbox takes one (or parks one now), sets
// the limits on its cgroup and sends the runtime's descriptors.
// Zygotes form a tree: extend() forks a child zygote that imports more (its parent's imports plus
// these), in the same sandbox; its library paths must be in the root's view (`view_paths`: a node's
// library cache, whose later entries appear in it). A sandbox may also show library paths its zygote does
// not (start_sandbox with read_only_paths: a function importing more than its zygote holds); such a fork
// cannot have been parked with its view, so it is forked then (the cgroup attach on the cold path). Every fork lives in the root zygote's PID namespace, so a zygote lives as
// long as any sandbox forked from it or its children (the Sandbox keeps it). Thread-safe; a start_sandbox
// from parked forks costs two socket messages.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sandbox/cgroup.h"
#include "sandbox/sandbox.h"

namespace hearth::runtime {

// A container network a parked fork joins (net/container_network.h, kParticle): the cgroup v2 directory
// whose pins give it its own address, and what holds that attachment (released with the sandbox).
struct ForkNetwork {
  std::string net_cgroup;
  std::shared_ptr<void> lease;
};

struct ZygoteOptions {
  std::string name;                          // unique per live zygote tree: cgroup names <name>-z, <name>-fN
  std::vector<std::string> sys_path;         // library directories: in the zygote's view, read-only, on sys.path
  std::vector<std::string> imports;          // modules imported before any fork
  // More host paths of the library set (e.g. shared objects), read-only in the zygote's view and in every
  // fork's. (Every sandbox shows /etc/alternatives already: sandbox/sandbox.h.)
  std::vector<std::string> read_only_paths;
  // Host paths in this root zygote's view only, not shown to its forks: where the library paths of child
  // zygotes and of forks that show more (start_sandbox) are found, e.g. the node's library cache.
  std::vector<std::string> view_paths;
  sandbox::CgroupLimits limits{512, 1000, 256};  // the zygote tree's own (forks get their own cgroups)
  std::int64_t ready_timeout_ms = 60'000;        // starting the interpreter + the imports
  // A zygote per tenant in a container network (docs/network.md, "a zygote per tenant"; root only): the
  // zygote's supervisor joins `netns` (the tenant's namespace) as root before it unshares the rest, so
  // the zygote and its forks are in it from birth (a fork keeps it instead of a loopback-only one), and
  // `fork_network` is called once per parked fork for its attachment: the fork is moved into its
  // `net_cgroup` at park time, before it forks the runtime (which opens no socket before a cold start).
  // The zygote itself is in no container's directory: its own traffic is dropped (fail closed).
  std::string netns;
  std::function<ForkNetwork()> fork_network;
};

class PythonZygote : public std::enable_shared_from_this<PythonZygote> {
 public:
  // Starts a root zygote in its sandbox and waits until it has imported everything. Throws
  // std::runtime_error with the zygote's own error (an ImportError's traceback) or the sandbox's.
  static std::shared_ptr<PythonZygote> start(const ZygoteOptions& options);
  ~PythonZygote();
  PythonZygote(const PythonZygote&) = delete;
  PythonZygote& operator=(const PythonZygote&) = delete;

  // A child zygote: a fork of this one that also puts `sys_path` on its path and imports `imports`; its
  // forks also show `read_only_paths` (all of them in the root zygote's view). Throws like start().
  std::shared_ptr<PythonZygote> extend(const std::vector<std::string>& sys_path, const std::vector<std::string>& imports,
                                       const std::vector<std::string>& read_only_paths = {},
                                       std::int64_t timeout_ms = 60'000);

  // Parks forks until `n` are ready; returns how many are (fewer if the zygote or the host refused).
  int prepare(int n);
  // A sandbox forked from this zygote (a parked fork, or one parked now) with `spec`'s limits and fds
  // (the runtime's channel at 3 and 4). Its view: the default hostname and /tmp, the runtime directory,
  // library_paths() and those of `spec.read_only_paths` that are not among them (which must be in the
  // root zygote's view; with any such path the fork is forked now, not taken from the parked ones);
  // `spec`'s argv, hostname and /tmp size are not used. Throws std::runtime_error when it cannot.
  std::unique_ptr<sandbox::Sandbox> start_sandbox(const sandbox::SandboxSpec& spec);

  // Ends the parked forks (a zygote no longer used for new sandboxes that a child zygote keeps alive).
  void release_parked();

  // Every module this zygote has imported (its ancestors' and its own) and its sys.path additions.
  const std::vector<std::string>& imports() const { return imports_; }
  const std::vector<std::string>& sys_path() const { return sys_path_; }
  // Every library path a fork shows (sys_path and read_only_paths of this zygote and its ancestors).
  const std::vector<std::string>& library_paths() const { return library_paths_; }
  // The root zygote's supervisor (host pid), for tests.
  pid_t root_pid() const;
  std::uint64_t forks() const;       // sandboxes started from this zygote
  std::uint64_t parked_hits() const; // of which from a fork parked ahead

 private:
  struct Parked {
    std::unique_ptr<sandbox::Cgroup> cgroup;
    sandbox::CgroupLimits limits;  // what its cgroup was created with
    pid_t pid = -1;
    int pidfd = -1;
    int socket = -1;
    std::shared_ptr<void> network;  // its ForkNetwork's lease (released after the process is gone)
  };
  PythonZygote() = default;
  Parked park(const std::vector<std::string>& extra_paths = {});  // without mu_ (takes it briefly)
  static void release(Parked& p);

  std::shared_ptr<PythonZygote> parent_;       // a child zygote keeps its parent alive
  std::unique_ptr<sandbox::Sandbox> sandbox_;  // the root zygote's sandbox (root only)
  int control_ = -1;
  std::string name_;
  std::string netns_;                              // ZygoteOptions::netns (children inherit it)
  std::function<ForkNetwork()> fork_network_;      // ZygoteOptions::fork_network (children inherit it)
  std::vector<std::string> imports_, sys_path_, library_paths_;
  bool cgroups_ = false;
  mutable std::mutex mu_;   // parked_, the counters, last_limits_
  std::mutex control_mu_;   // one request at a time on control_ (a fork, a child zygote)
  std::mutex prepare_mu_;   // one prepare() at a time
  std::condition_variable parked_cv_;  // a fork was parked (or failed to be)
  int parking_ = 0;                    // forks prepare() is parking now
  std::deque<Parked> parked_;
  std::uint64_t next_ = 0, forks_ = 0, hits_ = 0;
  // The limits of the last sandbox started: parked forks' cgroups get them ahead, so a start with the
  // same limits (a function's next cold start) writes no cgroup file on its path.
  sandbox::CgroupLimits last_limits_;
};

// The zygote's C side (runtime/python/hearth_zygote_entry.cc); HEARTH_ZYGOTE_ENTRY overrides.
std::string zygote_entry_path();

}  // namespace hearth::runtime
