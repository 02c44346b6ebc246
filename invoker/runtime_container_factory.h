// RuntimeContainerFactory: containers backed by real runtime processes (runtime/RuntimeProcess):
// writes the action's code into a content-addressed directory of <code_dir> (live/code_files.h), starts
// the language runtime — inside a sandbox (sandbox/: namespaces, read-only root, seccomp, cgroup limits
// with the action's memory, and its CPU limit as the CPU quota when it has one, else one core) when
// `sandboxed` — and initialises it. A stem cell specialised for an action takes the action's CPU limit. Sandboxed factories keep a
// SandboxPool of `pool_size` pre-attached shells so a cold start does not wait for the cgroup attach, and
// (with `zygotes`) a ZygotePool: a Python cold start then forks from a zygote (invoker/zygote_pool.h) and
// loads the action's source inline; its container reports from_zygote(). An action declaring libraries
// forks from its library set's zygote once the pool keeps one. A failed fork falls back to a new runtime.
// With container networks (set_networks) a container joins its tenant's network. With function snapshots
// (set_snapshots) a Python cold start restores from its snapshot once one is made (docs/faasnap.md);
// under snapshot-and-release (release_to_snapshots) only when the keep-alive policy says so.
// A result over the result limit (1 MB unless set) ends its activation with OpenWhisk's error.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "invoker/code_files.h"
#include "invoker/library_cache.h"
#include "invoker/snapshot_store.h"
#include "invoker/live_container.h"
#include "invoker/zygote_pool.h"
#include "net/container_network.h"
#include "runtime/runtime_process.h"

namespace hearth::invoker {

class RuntimeContainerFactory final : public ContainerFactory {
 public:
  RuntimeContainerFactory(std::string code_dir, bool sandboxed, int pool_size = 4, bool zygotes = true,
                          std::vector<std::string> zygote_preload = {}, std::int64_t zygote_budget_mb = 1024);
  ZygotePool* zygotes() { return zygotes_.get(); }  // null when not sandboxed or turned off
  ~RuntimeContainerFactory() override;
  std::unique_ptr<LiveContainer> create(const net::ActionRecord& action, std::int64_t* init_us, std::string* error) override;
  std::unique_ptr<LiveContainer> create_scalable(const net::ActionRecord& action, int max_workers, std::int64_t* init_us,
                                                 std::string* error) override;
  std::unique_ptr<LiveContainer> start_generic(model::RuntimeKind runtime, model::MegaBytes memory_mb) override;
  // The result limit of every container started from now on (runtime::ProcessOptions::max_result_bytes).
  void set_max_result_bytes(std::size_t bytes) { max_result_bytes_ = bytes; }
  // How long a run may poll for its runtime's reply before it sleeps, at most, in every container started
  // from now on (runtime::ProcessOptions::reply_spin_us; `--spin-us`).
  void set_reply_spin_us(std::int64_t us) { reply_spin_us_ = us; }
  // Where the libraries an action declares are prepared (invoker/library_cache.h); it must outlive this
  // factory. Without one, an action with libraries fails to start, saying so. A container pins its
  // libraries until it is destroyed; its sandbox binds each read-only at its cache path (every sandbox
  // shows the host's /etc/alternatives, through which libblas.so.3 resolves: sandbox/sandbox.h), and
  // Python gets their dist-packages directories first on sys.path.
  // With zygotes, popular library sets also get zygotes of their own (`zygote_budget_mb` of them together;
  // invoker/zygote_pool.h).
  void set_library_cache(LibraryCache* cache) {
    libraries_ = cache;
    if (zygotes_) zygotes_->set_library_cache(cache);
    if (snapshots_) snapshots_->set_library_cache(cache);  // actions declaring libraries are snapshotted too
  }
  // Container networks (net/container_network.h, docs/network.md); must outlive this factory. With them,
  // every sandboxed container of an action joins its tenant's (action.ns) network and releases it when it
  // is destroyed. Stem cells are not used (a stem cell has no tenant yet: start_generic() returns null),
  // nor the shared zygotes (a fork cannot join a namespace of the initial user namespace; they are ended
  // here). With zygotes on and kParticle, each tenant gets a zygote of its own instead, started in its
  // namespace after the tenant's first cold start made it (docs/network.md, "a zygote per tenant"): its
  // later cold starts of Python actions declaring no libraries fork from it; each parked fork holds an
  // attachment of the tenant's. Call before the first start.
  void set_networks(net::ContainerNetworks* networks);
  // Function snapshots (invoker/snapshot_store.h, `--snapshots`); must outlive this factory. With them, a
  // one-worker cold start of an eligible action (Python, no declared libraries, no container networks)
  // restores from its revision's snapshot when the store has one (the container reports from_snapshot();
  // a failed restore falls back to the usual start), and otherwise the container's first successful run
  // asks the store to snapshot the action with that run's parameters.
  void set_snapshots(SnapshotStore* snapshots) {
    snapshots_ = snapshots;
    if (snapshots_ && libraries_) snapshots_->set_library_cache(libraries_);
  }
  // Snapshot-and-release (ContainerFactory): once called, create() neither restores nor snapshots after
  // a first run; snapshot() queues the store's snapshot of the revision (from those parameters), restore()
  // restores from it. restore() of an action without a ready snapshot returns null with an empty error.
  bool release_to_snapshots(std::string* why) override;
  void snapshot(const net::ActionRecord& action, const std::string& params_json) override;
  std::unique_ptr<LiveContainer> restore(const net::ActionRecord& action, std::int64_t* init_us, std::string* error) override;
  std::int64_t snapshot_bytes() const override;

 private:
  // `id` names the container (c<id>) and its sandbox; take it with one next_id_++.
  runtime::ProcessOptions options(model::MegaBytes memory_mb, std::vector<std::string> read_only_paths, std::uint64_t id);
  std::unique_ptr<LiveContainer> start(const net::ActionRecord& action, int max_workers, std::int64_t* init_us,
                                       std::string* error);
  // Prepares and pins the action's declared libraries (null when it declares none); throws
  // std::runtime_error saying why it cannot.
  std::unique_ptr<LibraryCache::Lease> acquire_libraries(const net::ActionRecord& action);
  CodeFiles code_files_;
  bool sandboxed_;
  std::atomic<std::uint64_t> next_id_{1};
  std::atomic<std::size_t> max_result_bytes_{runtime::kDefaultMaxResultBytes};
  std::atomic<std::int64_t> reply_spin_us_{0};
  std::unique_ptr<sandbox::SandboxPool> pool_;
  LibraryCache* libraries_ = nullptr;
  net::ContainerNetworks* networks_ = nullptr;
  std::unique_ptr<ZygotePool> zygotes_;
  // Zygotes per tenant (set_networks): whether to make them, what they preload, and the running ones.
  bool tenant_zygotes_ = false;
  std::vector<std::string> zygote_preload_;
  std::mutex tenant_zygotes_mu_;
  std::map<std::string, std::unique_ptr<ZygotePool>> tenant_zygote_pools_;
  // The zygote pool of `tenant` (null if it has none); with `start`, starts one when it has none.
  ZygotePool* tenant_zygotes(const std::string& tenant, bool start);
  // Whether `action` can be snapshotted here: a store, Python without declared libraries, no container networks.
  bool snapshots_eligible(const net::ActionRecord& action) const;
  SnapshotStore* snapshots_ = nullptr;
  std::atomic<bool> on_release_{false};  // snapshot-and-release: snapshots only when told
};

}  // namespace hearth::invoker
