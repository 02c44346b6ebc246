// SandboxPool: takes the cgroup attach off the cold-start path. Moving a process into a cgroup v1
// hierarchy waits for an RCU grace period in the kernel (cgroup_threadgroup_rwsem: ~16 ms on these VMs,
// the largest single cost of a sandbox start; SOCK, ATC'18, found the same and pooled cgroups). The pool
// keeps `size` shells ready: a cgroup with a parked process already inside it (forked from this process,
// blocked on a Unix socket). A background thread refills it. Sandbox(spec, pool) takes a shell, sets the
// spec's limits on its cgroup, sends the spec and its descriptors (SCM_RIGHTS), and the parked process
// becomes the sandbox's supervisor exactly as a freshly forked one would; with no shell ready it falls
// back to fork + attach. An attach stalls every fork and exec on the host while it waits, so the pool
// refills only after 100 ms without a take: a burst drains it and then takes the slow path. Shells die with the pool's refill thread (PR_SET_PDEATHSIG), so the pool must
// outlive every Sandbox taken from it. take() is O(1) and thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "sandbox/cgroup.h"

namespace hearth::sandbox {

struct SandboxSpec;

// A parked process inside its own cgroup, waiting on `socket` for a spec.
struct ParkedShell {
  std::unique_ptr<Cgroup> cgroup;
  pid_t pid = -1;
  int socket = -1;
};

class SandboxPool {
 public:
  // Starts filling `size` shells in the background; cgroups are named `prefix`-sN. Without cgroups
  // (Privilege::kUserNamespace) the pool stays empty.
  SandboxPool(std::string prefix, int size);
  ~SandboxPool();  // kills and reaps unused shells, removes their cgroups
  SandboxPool(const SandboxPool&) = delete;
  SandboxPool& operator=(const SandboxPool&) = delete;

  std::optional<ParkedShell> take();
  // Waits until `n` shells are ready or `timeout_ms` passes; returns how many are ready (tests, benches).
  int wait_ready(int n, std::int64_t timeout_ms);
  std::uint64_t hits() const;    // sandboxes started from a ready shell
  std::uint64_t misses() const;  // take() found none ready

 private:
  ParkedShell park();
  void refill();

  std::string prefix_;
  int size_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<ParkedShell> ready_;
  std::uint64_t next_ = 0, hits_ = 0, misses_ = 0;
  std::chrono::steady_clock::time_point last_take_;
  bool stopping_ = false;
  std::thread refiller_;
};

// Sends `data` as one message with one ancillary message of `cmsg_bytes` (at most 64 descriptors' worth)
// of type `cmsg_type` (SCM_RIGHTS: descriptors, SCM_CREDENTIALS: a ucred) when cmsg_bytes > 0; true if
// the whole message was sent.
bool send_with(int socket, const std::string& data, int cmsg_type, const void* cmsg, std::size_t cmsg_bytes);
// Sends `spec` (argv, paths, hostname, /tmp size, memory and PID limits, descriptors) over a shell's socket; false on failure.
bool send_spec(int socket, const SandboxSpec& spec);
// In the parked process: receives a spec sent by send_spec; its `fds` are the received descriptors.
bool receive_spec(int socket, SandboxSpec* spec);

}  // namespace hearth::sandbox
