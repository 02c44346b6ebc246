// ZygotePool: an invoker's Python zygotes (runtime/python_zygote.h, docs/zygotes.md). Holds the zygote of
// each library set it keeps and parked forks of each, so that a Python cold start forks instead of
// starting an interpreter and importing.
// - The empty set's zygote (with --zygote-preload's modules) starts in the background at construction and
//   is always kept: every Python function without declared libraries forks from it.
// - A library set (the names an action declares, `--lib`) gets a zygote once policy::ZygoteSets (its
//   popularity per MB of estimated memory, within `budget_mb`) says to keep it: find_for() tells the policy
//   of each such cold start, and the background thread starts the planned zygotes and drops the ones that
//   fell out of the plan. The sets' zygotes form the plan's tree: under a library root (an interpreter
//   whose view holds the node's library cache, invoker/library_cache.h, read-only; started with the first
//   set) each set's zygote is forked from its parent's (PythonZygote::extend: the parent's imports are
//   inherited, the set's other libraries imported) — its parent being its largest kept proper subset that
//   runs, else the library root. A set's zygote holds a lease on its closure's libraries while it lives,
//   shows them read-only, and imports the public top-level modules of
//   each declared library (invoker/python_modules.h). A set whose zygote failed to start is not tried
//   again; its functions start interpreters, as without zygotes. All of them live in the library root's
//   sandbox and cgroup (16 MB + `budget_mb` of memory).
//   A function whose exact set has no zygote forks from the largest running set its libraries contain
//   (policy::ZygoteSets::best_for) and imports the rest itself; that fork shows its own libraries, so it
//   is forked on demand rather than taken from the parked ones (runtime/python_zygote.h).
//   Eviction: a set that falls out of the plan stops serving forks at once and its parked forks end. A
//   child zygote is a process forked from its parent's and keeps it alive: a dropped parent with running
//   children lives on (serving nothing, its pages shared with them) until its last child and fork end.
//   Estimated memory of a set's zygote: 16 MB (an interpreter) + 4 × its closure's .deb bytes (installed
//   code is about 3-4× the compressed package; what it imports is resident).
// Forks are parked ahead by a background thread (the cgroup attach off the cold-start path); like
// SandboxPool it refills only after 100 ms without a take, since an attach stalls every fork and exec on
// the host. find() and find_for() are O(log sets) and thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "invoker/library_cache.h"
#include "net/records.h"
#include "policy/zygote_sets.h"
#include "runtime/python_zygote.h"

namespace hearth::invoker {

class ZygotePool {
 public:
  // `prefix` names the zygotes' cgroups (hearth-<pid>-... so that a dead invoker's are removed);
  // `parked` forks are kept ready per zygote. `preload`: modules the empty set's zygote imports anyway
  // from Debian's python3-* packages (/usr/lib/python3/dist-packages), so every Python function forks with them loaded (`--zygote-preload`).
  // `budget_mb`: the memory the library sets' zygotes may take together (0: none are kept).
  // `netns` / `fork_network` (runtime::ZygoteOptions): the empty set's zygote of one tenant in a container
  // network (docs/network.md, "a zygote per tenant"); give such a pool a budget of 0.
  ZygotePool(std::string prefix, int parked = 2, std::vector<std::string> preload = {}, std::int64_t budget_mb = 1024,
             std::string netns = "", std::function<runtime::ForkNetwork()> fork_network = {});
  ~ZygotePool();  // stops the refill thread; zygotes end with the last sandbox forked from them
  ZygotePool(const ZygotePool&) = delete;
  ZygotePool& operator=(const ZygotePool&) = delete;

  // Where library sets' libraries are (set before the first find_for; it must outlive this pool).
  void set_library_cache(LibraryCache* cache);

  // The zygote holding exactly `libraries` (sorted), or null when there is none (yet): the caller
  // starts a runtime instead. Counts the take, which delays the next refill.
  std::shared_ptr<runtime::PythonZygote> find(const std::vector<std::string>& libraries);
  // A cold start of a Python action declaring libraries (`action.libraries`, closure `action.library_refs`):
  // the zygote of exactly its set when one runs, else of the largest running set it contains (the fork
  // must then show the action's library paths and import the rest), else null; and the policy learns of
  // the cold start, so that a set worth keeping gets a zygote in the background for the next ones.
  std::shared_ptr<runtime::PythonZygote> find_for(const net::ActionRecord& action);
  // Plans with `budget_mb` from now on (memory pressure; at most the constructor's, which sized the
  // zygotes' cgroup): sets that no longer fit are dropped by the background thread.
  void set_budget_mb(std::int64_t budget_mb);
  // The set whose zygote `libraries`' zygote was forked from ({}: the library root), if it runs.
  std::optional<policy::LibrarySet> parent_of(const policy::LibrarySet& libraries) const;
  // How long starting `libraries`' zygote took (µs), if it runs.
  std::optional<std::int64_t> start_us(const policy::LibrarySet& libraries) const;
  // Waits until the empty set's zygote has started and `n` forks are parked, or `timeout_ms` passed
  // (tests, benchmarks); returns whether it has.
  bool wait_ready(int n, std::int64_t timeout_ms);
  // Waits until the zygote of `libraries` (sorted) runs, or it failed, or `timeout_ms` passed.
  bool wait_for_set(const std::vector<std::string>& libraries, std::int64_t timeout_ms);
  // Why the empty set's zygote could not start ("" while it starts or once it runs).
  std::string error() const;
  std::size_t library_sets() const;  // library-set zygotes running now

 private:
  struct SetZygote {
    std::shared_ptr<runtime::PythonZygote> zygote;
    std::unique_ptr<LibraryCache::Lease> lease;  // its libraries stay in the cache while it lives
    policy::LibrarySet parent;                   // forked from this set's zygote ({}: the library root)
    std::int64_t start_us = 0;
  };
  void run();
  // Starts `set`'s zygote from its last seen closure as a child of `parent` (the zygote of set
  // `parent_set`), without mu_; throws std::runtime_error.
  SetZygote start_set(const policy::LibrarySet& set, const std::vector<net::LibraryRef>& refs,
                      const std::shared_ptr<runtime::PythonZygote>& parent, const policy::LibrarySet& parent_set);
  // The library root, started now if it is not running (without mu_); throws std::runtime_error.
  std::shared_ptr<runtime::PythonZygote> library_root();
  // Brings the running sets in line with the policy's plan: drops what fell out of it and starts (at
  // most) one missing set. Called by run() with `lock` held; unlocks it while a zygote starts.
  void reconcile(std::unique_lock<std::mutex>& lock);
  model::Micros now() const;

  std::string prefix_;
  int parked_;
  std::vector<std::string> preload_;
  std::string netns_;                                     // the empty set's zygote's network (a tenant's)
  std::function<runtime::ForkNetwork()> fork_network_;
  std::int64_t budget_mb_;
  const std::int64_t max_budget_mb_;
  LibraryCache* libraries_ = nullptr;
  std::shared_ptr<runtime::PythonZygote> library_root_;  // used by the background thread only
  const std::chrono::steady_clock::time_point epoch_ = std::chrono::steady_clock::now();
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::vector<std::string>, std::shared_ptr<runtime::PythonZygote>> zygotes_;  // the empty set's
  policy::ZygoteSets sets_;
  std::map<policy::LibrarySet, std::vector<net::LibraryRef>> closures_;  // last seen closure of each set
  std::map<policy::LibrarySet, SetZygote> running_;
  std::set<policy::LibrarySet> failed_;
  bool plan_changed_ = false;  // a set's popularity changed since the last reconcile
  std::string error_;
  int ready_ = 0;  // forks parked in the empty set's zygote at the last refill
  std::uint64_t next_set_ = 0;
  std::chrono::steady_clock::time_point last_take_;
  bool stopping_ = false;
  std::thread refiller_;
};

}  // namespace hearth::invoker
