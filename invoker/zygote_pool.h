// ZygotePool: an invoker's Python zygotes (runtime/python_zygote.h, docs/zygotes.md). Holds the zygote of
// each library set it keeps and parked forks of each, so that a Python cold start forks instead of
// starting an interpreter. Actions do not declare libraries yet (the library repository adds them), so
// every Python action has the empty set and the pool keeps that set's zygote, started in the background
// at construction. Forks are parked ahead by a background thread (the cgroup attach off the cold-start
// path); like SandboxPool it refills only after 100 ms without a take, since an attach stalls every fork
// and exec on the host. find() is O(1) and thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "runtime/python_zygote.h"

namespace hearth::invoker {

class ZygotePool {
 public:
  // `prefix` names the zygotes' cgroups (hearth-<pid>-... so that a dead invoker's are removed);
  // `parked` forks are kept ready per zygote. `preload`: modules the empty set's zygote imports anyway
  // from Debian's python3-* packages (/usr/lib/python3/dist-packages; /etc/alternatives shown for their
  // shared-library links), so every Python function forks with them loaded (`--zygote-preload`).
  ZygotePool(std::string prefix, int parked = 2, std::vector<std::string> preload = {});
  ~ZygotePool();  // stops the refill thread; zygotes end with the last sandbox forked from them
  ZygotePool(const ZygotePool&) = delete;
  ZygotePool& operator=(const ZygotePool&) = delete;

  // The zygote holding exactly `libraries` (sorted), or null when there is none (yet): the caller
  // starts a runtime instead. Counts the take, which delays the next refill.
  std::shared_ptr<runtime::PythonZygote> find(const std::vector<std::string>& libraries);
  // Waits until the empty set's zygote has started and `n` forks are parked, or `timeout_ms` passed
  // (tests, benchmarks); returns whether it has.
  bool wait_ready(int n, std::int64_t timeout_ms);
  // Why the empty set's zygote could not start ("" while it starts or once it runs).
  std::string error() const;

 private:
  void run();

  std::string prefix_;
  int parked_;
  std::vector<std::string> preload_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::vector<std::string>, std::shared_ptr<runtime::PythonZygote>> zygotes_;
  std::string error_;
  int ready_ = 0;  // forks parked in the empty set's zygote at the last refill
  std::chrono::steady_clock::time_point last_take_;
  bool stopping_ = false;
  std::thread refiller_;
};

}  // namespace hearth::invoker
