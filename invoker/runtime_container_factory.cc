#include "invoker/runtime_container_factory.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include <unistd.h>

#include "invoker/snapshot_container.h"
#include "runtime/runtime_process.h"
#include "sandbox/cgroup.h"

namespace hearth::invoker {
namespace {

namespace fs = std::filesystem;

// A container's network (net/container_network.h), released when the container is gone.
class NetworkLease {
 public:
  NetworkLease(net::ContainerNetworks* networks, net::NetworkAttachment attachment)
      : networks_(networks), attachment_(std::move(attachment)) {}
  ~NetworkLease() { networks_->release(attachment_); }
  NetworkLease(const NetworkLease&) = delete;
  NetworkLease& operator=(const NetworkLease&) = delete;
  const net::NetworkAttachment& attachment() const { return attachment_; }

 private:
  net::ContainerNetworks* networks_;
  net::NetworkAttachment attachment_;
};

constexpr std::int64_t kFreshenAnswerMs = 2000;  // the runtime answers a freshen at once; the hook runs on

class RuntimeContainer final : public LiveContainer {
 public:
  RuntimeContainer(std::unique_ptr<runtime::RuntimeProcess> process, std::string id,
                   std::unique_ptr<LibraryCache::Lease> libraries = nullptr, bool from_zygote = false,
                   std::unique_ptr<NetworkLease> network = nullptr)
      : network_(std::move(network)), libraries_(std::move(libraries)), process_(std::move(process)), id_(std::move(id)),
        from_zygote_(from_zygote) {}
  bool from_zygote() const override { return from_zygote_; }
  RunOutcome run(const std::string& params_json, std::int64_t timeout_ms) override {
    return after_run(params_json, guarded([&] { return process_->run(params_json, timeout_ms); }));
  }
  // Called once, with the parameters, after this container's first successful run.
  void set_after_first_run(std::function<void(const std::string&)> f) { after_first_run_ = std::move(f); }
  bool watches() const override { return true; }
  RunOutcome run_watching(const std::string& params_json, std::int64_t timeout_ms, net::ReadWatch& watch) override {
    return after_run(params_json, guarded([&] { return process_->run(params_json, timeout_ms, 0, &watch); }));
  }
  bool splits_runs() const override { return true; }
  std::optional<RunOutcome> begin_run(const std::string& params_json, std::int64_t timeout_ms) override {
    std::optional<runtime::RunResult> ended;
    RunOutcome o = guarded([&] {
      ended = process_->start_run(params_json, timeout_ms);
      return ended ? *ended : runtime::RunResult{};
    });
    if (!ended && !o.container_broken) {  // running
      if (after_first_run_) split_params_ = params_json;  // kept only while the snapshot store waits for it
      return std::nullopt;
    }
    return after_run(params_json, std::move(o));
  }
  int reply_fd() const override { return process_->reply_fd(); }
  net::FrameClock::time_point run_deadline() const override { return process_->run_deadline(); }
  std::optional<RunOutcome> continue_run() override {
    std::optional<runtime::RunResult> r;
    RunOutcome o = guarded([&] {
      r = process_->poll_reply();
      return r ? *r : runtime::RunResult{};
    });
    if (!r && !o.container_broken) return std::nullopt;  // runs on (or a throw: ended, broken)
    return after_run(std::exchange(split_params_, {}), std::move(o));
  }
  RunOutcome expire_run() override { return outcome(process_->expire_run()); }
  RunOutcome after_run(const std::string& params_json, RunOutcome o) {
    if (after_first_run_ && o.status == "success") {
      after_first_run_(params_json);  // the snapshot store's recording invocation
      after_first_run_ = nullptr;
    }
    return o;
  }
  // A run that throws (only resource exhaustion can: RuntimeProcess turns every byte the runtime sends
  // into a RunResult) ends its activation and breaks the container instead of the worker thread.
  template <typename Run>
  RunOutcome guarded(Run run) {
    try {
      return outcome(run());
    } catch (const std::exception& e) {
      RunOutcome o;
      o.status = "whisk internal error";
      o.result_json = nlohmann::json{{"error", std::string("the invoker could not run the action: ") + e.what()}}.dump();
      o.container_broken = true;
      return o;
    }
  }
  RunOutcome outcome(const runtime::RunResult& r) {
    RunOutcome o;
    o.status = r.ok ? "success" : (r.crashed || r.timed_out ? "developer error" : "application error");
    o.result_json = r.result_json;
    o.logs = r.logs;
    o.run_us = r.duration_us;
    o.container_broken = process_->broken();
    o.freshen_json = r.freshen_json;
    return o;
  }
  const std::string& id() const override { return id_; }
  int max_workers() const override { return process_->max_workers(); }
  bool add_workers(int count, std::string* error) override {
    const runtime::RunResult r = process_->add_workers(count, 10'000);
    if (!r.ok) *error = r.error;
    return r.ok;
  }
  bool freshen(std::int64_t hook_timeout_ms, std::string* error, bool* broken) override {
    // (a native runtime answers "unknown op 'freshen'": it has no hooks)
    const runtime::RunResult r = process_->freshen(hook_timeout_ms, kFreshenAnswerMs);
    if (!r.ok) *error = r.error;
    *broken = process_->broken();
    return r.ok;
  }
  RunOutcome run_on(int worker, const std::string& params_json, std::int64_t timeout_ms) override {
    return guarded([&] { return process_->run(params_json, timeout_ms, worker); });
  }
  bool set_cpu_quota(std::int64_t millicores) override { return process_->set_cpu_quota(millicores); }
  std::optional<ResourceUsage> usage() const override {
    const std::optional<sandbox::CgroupUsage> u = process_->usage();
    if (!u) return std::nullopt;
    return ResourceUsage{u->cpu_usec, u->memory_peak_bytes, u->io_bytes, 0};
  }
  bool specialise_worker(int worker, const net::ActionRecord& action, std::int64_t* init_us, std::string* error) override {
    const auto start = std::chrono::steady_clock::now();
    const runtime::RunResult r =
        process_->init_worker(worker, action.code, action.entry, std::min<std::int64_t>(action.timeout_ms, 60'000));
    *init_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    if (!r.ok) *error = "Initialization has failed: " + r.error;
    return r.ok;
  }
  bool specialise(const net::ActionRecord& action, std::int64_t* init_us, std::string* error) override {
    const auto start = std::chrono::steady_clock::now();
    // A stem cell started with the default quota: the action's CPU limit from now on (unsandboxed: no
    // cgroup, nothing to set).
    if (action.cpu_millicores > 0) process_->set_cpu_quota(action.cpu_millicores);
    const runtime::RunResult r = process_->init_source(action.code, action.entry, std::min<std::int64_t>(action.timeout_ms, 60'000));
    *init_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    if (!r.ok) *error = "Initialization has failed: " + r.error;
    return r.ok;
  }

 private:
  std::unique_ptr<NetworkLease> network_;            // released after the process is gone (declared first)
  std::string split_params_;  // a split run's parameters, while after_first_run_ waits for them
  std::unique_ptr<LibraryCache::Lease> libraries_;  // released after the process is gone (declared first)
  std::unique_ptr<runtime::RuntimeProcess> process_;
  std::string id_;
  bool from_zygote_ = false;
  std::function<void(const std::string&)> after_first_run_;
};

}  // namespace

RuntimeContainerFactory::RuntimeContainerFactory(std::string code_dir, bool sandboxed, int pool_size, bool zygotes,
                                                 std::vector<std::string> zygote_preload, std::int64_t zygote_budget_mb)
    : code_files_(std::move(code_dir)), sandboxed_(sandboxed) {
  // A killed invoker never removed its containers' cgroups: the next one to start on this host does.
  if (sandboxed_) sandbox::Cgroup::remove_orphans();
  if (sandboxed_ && pool_size > 0)
    pool_ = std::make_unique<sandbox::SandboxPool>("hearth-" + std::to_string(getpid()) + "-pool", pool_size);
  if (sandboxed_ && zygotes)
    zygotes_ = std::make_unique<ZygotePool>("hearth-" + std::to_string(getpid()) + "-zyg", 2, zygote_preload,
                                             zygote_budget_mb);
  zygote_preload_ = std::move(zygote_preload);
}

void RuntimeContainerFactory::set_networks(net::ContainerNetworks* networks) {
  networks_ = networks;
  if (!networks_ || !sandboxed_ || !zygotes_) return;
  zygotes_.reset();  // its forks could not join a tenant's network: a zygote per tenant instead
  tenant_zygotes_ = networks_->config().mode == net::NetworkMode::kParticle;
}

ZygotePool* RuntimeContainerFactory::tenant_zygotes(const std::string& tenant, bool start) {
  std::lock_guard lock(tenant_zygotes_mu_);
  if (const auto it = tenant_zygote_pools_.find(tenant); it != tenant_zygote_pools_.end()) return it->second.get();
  const std::string netns = start ? networks_->tenant_netns(tenant) : "";
  if (netns.empty()) return nullptr;  // not asked to start one, or the tenant has no namespace (yet)
  net::ContainerNetworks* networks = networks_;
  auto fork_network = [networks, tenant] {
    auto lease = std::make_shared<NetworkLease>(networks, networks->attach(tenant));
    return runtime::ForkNetwork{lease->attachment().net_cgroup, lease};
  };
  const std::string prefix = "hearth-" + std::to_string(getpid()) + "-zyg-t" + std::to_string(tenant_zygote_pools_.size());
  auto pool = std::make_unique<ZygotePool>(prefix, 2, zygote_preload_, /*budget_mb=*/0, netns, std::move(fork_network));
  return tenant_zygote_pools_.emplace(tenant, std::move(pool)).first->second.get();
}

RuntimeContainerFactory::~RuntimeContainerFactory() = default;

runtime::ProcessOptions RuntimeContainerFactory::options(model::MegaBytes memory_mb, std::vector<std::string> paths,
                                                         std::uint64_t id) {
  runtime::ProcessOptions o;
  o.sandboxed = sandboxed_;
  o.pool = pool_.get();
  o.name = "hearth-" + std::to_string(getpid()) + "-c" + std::to_string(id);
  o.limits.memory_mb = memory_mb;
  o.max_result_bytes = max_result_bytes_;
  o.reply_spin_us = reply_spin_us_;
  o.read_only_paths = std::move(paths);
  return o;
}

std::unique_ptr<LiveContainer> RuntimeContainerFactory::start_generic(model::RuntimeKind kind, model::MegaBytes memory_mb) {
  if (kind == model::RuntimeKind::kNative) return nullptr;  // a shared object cannot arrive inline
  if (networks_ && sandboxed_) return nullptr;               // a stem cell has no tenant to join yet
  const std::uint64_t id = next_id_++;  // one atomic step: concurrent starts get distinct ids
  try {
    auto process = std::make_unique<runtime::RuntimeProcess>(
        kind == model::RuntimeKind::kPython ? runtime::Language::kPython : runtime::Language::kNodejs,
        options(memory_mb, {}, id));
    return std::make_unique<RuntimeContainer>(std::move(process), "c" + std::to_string(id));
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::unique_ptr<LiveContainer> RuntimeContainerFactory::create(const net::ActionRecord& action, std::int64_t* init_us,
                                                               std::string* error) {
  return start(action, 1, init_us, error);
}

std::unique_ptr<LiveContainer> RuntimeContainerFactory::create_scalable(const net::ActionRecord& action, int max_workers,
                                                                        std::int64_t* init_us, std::string* error) {
  return start(action, std::clamp(max_workers, 1, runtime::kMaxWorkers), init_us, error);
}

bool RuntimeContainerFactory::snapshots_eligible(const net::ActionRecord& action) const {
  return snapshots_ && !(networks_ && sandboxed_) && snapshots_->eligible(action);
}

bool RuntimeContainerFactory::release_to_snapshots(std::string* why) {
  if (!snapshots_) {
    *why = "this invoker keeps no function snapshots (--snapshots off)";
    return false;
  }
  on_release_ = true;
  return true;
}

void RuntimeContainerFactory::snapshot(const net::ActionRecord& action, const std::string& params_json) {
  if (snapshots_eligible(action)) snapshots_->on_first_run(action, params_json);
}

std::unique_ptr<LiveContainer> RuntimeContainerFactory::restore(const net::ActionRecord& action, std::int64_t* init_us,
                                                                std::string* error) {
  *init_us = 0;
  if (!snapshots_eligible(action)) {
    *error = "";  // not one a snapshot is made of: not an error
    return nullptr;
  }
  std::shared_ptr<const FunctionImage> image = snapshots_->find(action);
  if (!image) {
    *error = "";
    return nullptr;
  }
  const std::uint64_t id = next_id_++;
  return restore_container(*snapshots_, std::move(image), action, "c" + std::to_string(id),
                           "hearth-" + std::to_string(getpid()) + "-c" + std::to_string(id), max_result_bytes_, init_us,
                           error);
}

std::int64_t RuntimeContainerFactory::snapshot_bytes() const { return snapshots_ ? snapshots_->bytes() : 0; }

std::unique_ptr<LibraryCache::Lease> RuntimeContainerFactory::acquire_libraries(const net::ActionRecord& action) {
  if (action.library_refs.empty()) return nullptr;
  if (runtime::language_of(action.kind) != runtime::Language::kPython)
    throw std::runtime_error("libraries are Python packages; a " + action.kind + " action cannot declare them");
  if (!libraries_) throw std::runtime_error("this invoker has no library cache");
  LibraryCache::Phases phases;
  auto lease = libraries_->acquire(action.library_refs, &phases);
  if (phases.prepared > 0 || phases.wait_us > 0)
    std::fprintf(stderr, "hearth invoker: prepared %d librar%s for %s/%s: fetch %lld us (%lld bytes), verify %lld us, unpack %lld us, compile %lld us (%lld bytes), waited %lld us\n",
                 phases.prepared, phases.prepared == 1 ? "y" : "ies", action.ns.c_str(), action.name.c_str(),
                 static_cast<long long>(phases.fetch_us), static_cast<long long>(phases.fetched_bytes),
                 static_cast<long long>(phases.verify_us), static_cast<long long>(phases.unpack_us),
                 static_cast<long long>(phases.compile_us), static_cast<long long>(phases.unpacked_bytes),
                 static_cast<long long>(phases.wait_us));
  return lease;
}

std::unique_ptr<LiveContainer> RuntimeContainerFactory::start(const net::ActionRecord& action, int max_workers,
                                                              std::int64_t* init_us, std::string* error) {
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  };
  // A Python action with one worker forks from the zygote of its library set when there is one (the
  // empty set's for an action declaring none; invoker/zygote_pool.h); any failure there falls back to a
  // new runtime below. Its libraries are prepared first either way: the container pins them.
  std::unique_ptr<LibraryCache::Lease> libraries;
  try {
    libraries = acquire_libraries(action);
  } catch (const std::exception& e) {
    *init_us = elapsed();
    *error = std::string("Initialization has failed: ") + e.what();
    return nullptr;
  }
  // Snapshot-and-release: the keep-alive policy says when to snapshot and restore (snapshot(), restore()).
  const bool snapshot_eligible = !on_release_ && max_workers == 1 && snapshots_eligible(action);
  if (snapshot_eligible) {
    std::string restore_error;
    if (auto restored = restore(action, init_us, &restore_error)) return restored;
    if (!restore_error.empty())
      std::fprintf(stderr, "hearth invoker: %s/%s: %s; starting it without\n", action.ns.c_str(), action.name.c_str(),
                   restore_error.c_str());
  }
  // Asks the store to snapshot the action after `c`'s first successful run (when it has none yet).
  const auto snapshot_later = [&](RuntimeContainer& c) {
    if (!snapshot_eligible) return;
    c.set_after_first_run([store = snapshots_, action](const std::string& params) { store->on_first_run(action, params); });
  };
  std::shared_ptr<runtime::PythonZygote> zygote;
  const bool networked = networks_ && sandboxed_;
  if (max_workers == 1 && action.kind.starts_with("python")) {
    if (zygotes_ && !networked) zygote = zygotes_->find_for(action);
    else if (tenant_zygotes_ && action.libraries.empty())
      if (ZygotePool* pool = tenant_zygotes(action.ns, /*start=*/false)) zygote = pool->find({});
  }
  if (zygote) {
    const std::uint64_t id = next_id_++;
    // Its libraries' paths: those its zygote holds already, or (forked from a subset's zygote) more,
    // which the fork then shows and puts on sys.path itself.
    std::vector<std::string> paths;
    if (libraries) paths = libraries->roots();
    runtime::ProcessOptions o = options(action.memory_mb, std::move(paths), id);
    o.zygote = zygote;
    if (action.cpu_millicores > 0) o.limits.cpu_millicores = action.cpu_millicores;
    std::unique_ptr<runtime::RuntimeProcess> process;
    try {
      process = std::make_unique<runtime::RuntimeProcess>(runtime::Language::kPython, o);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "hearth invoker: a zygote fork failed, starting a runtime: %s\n", e.what());
    }
    if (process) {
      const runtime::RunResult r = process->init_source(action.code, action.entry, std::min<std::int64_t>(action.timeout_ms, 60'000),
                                                        libraries ? libraries->python_paths() : std::vector<std::string>{});
      *init_us = elapsed();
      if (!r.ok) {
        *error = "Initialization has failed: " + r.error;
        return nullptr;
      }
      auto c = std::make_unique<RuntimeContainer>(std::move(process), "c" + std::to_string(id), std::move(libraries),
                                                  /*from_zygote=*/true);
      snapshot_later(*c);
      return c;
    }
  }
  try {
    const CodeFiles::Lease code = code_files_.acquire(action);  // on disk until the runtime has loaded it
    const std::string& path = code.path();
    const std::uint64_t id = next_id_++;  // one atomic step: concurrent cold starts get distinct ids
    std::vector<std::string> mounts = {fs::path(path).parent_path().string()};
    if (libraries) mounts.insert(mounts.end(), libraries->roots().begin(), libraries->roots().end());
    runtime::ProcessOptions o = options(action.memory_mb, std::move(mounts), id);
    o.max_workers = max_workers;
    std::unique_ptr<NetworkLease> network;
    if (networks_ && sandboxed_) {
      network = std::make_unique<NetworkLease>(networks_, networks_->attach(action.ns));
      o.netns = network->attachment().netns;
      o.net_cgroup = network->attachment().net_cgroup;
    }
    if (action.cpu_millicores > 0) o.limits.cpu_millicores = action.cpu_millicores;  // else the default core
    auto process = std::make_unique<runtime::RuntimeProcess>(runtime::language_of(action.kind), o);
    const runtime::RunResult r = process->init(path, action.entry, std::min<std::int64_t>(action.timeout_ms, 60'000),
                                               libraries ? libraries->python_paths() : std::vector<std::string>{});
    *init_us = elapsed();
    if (!r.ok) {
      *error = "Initialization has failed: " + r.error;
      return nullptr;
    }
    auto c = std::make_unique<RuntimeContainer>(std::move(process), "c" + std::to_string(id), std::move(libraries),
                                                /*from_zygote=*/false, std::move(network));
    snapshot_later(*c);
    // The tenant's namespace exists now: its zygote starts in the background for its next cold starts.
    if (tenant_zygotes_ && runtime::language_of(action.kind) == runtime::Language::kPython) tenant_zygotes(action.ns, /*start=*/true);
    return c;
  } catch (const std::exception& e) {
    *init_us = elapsed();
    *error = std::string("Initialization has failed: ") + e.what();
    return nullptr;
  }
}

}  // namespace hearth::invoker
