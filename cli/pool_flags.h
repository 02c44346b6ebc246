// The flags that configure one invoker's container pool, shared by `hearth up` (its in-process or
// spawned invokers) and `hearth invoker`: memory, concurrency, policy specs (a preset or explicit
// --keepalive / --prewarm / --scheduler / --pool-manager, the same strings as `hearth sim`), whether functions run sandboxed
// and their network (--network, net/container_network.h), and function snapshots (--snapshots, docs/faasnap.md).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "invoker/local_dispatcher.h"
#include "invoker/snapshot_store.h"
#include "net/container_network.h"

namespace CLI {
class App;
}

namespace hearth::cli {

// `--spin-us`'s default (measured: docs/warm-path.md, BENCHMARKS.md "Warm path against nginx, third round").
inline constexpr std::int64_t kDefaultSpinUs = 100;

struct PoolFlags {
  std::int64_t memory_mb = 4096;
  int concurrency = 8;
  std::string preset = "openwhisk";
  std::string placement, keepalive, prewarm;  // empty: the preset's
  std::string scheduler, pool_manager;         // empty: the preset's (request scheduler, pool manager)
  std::string queue_timeout;                   // a duration; empty: 60 s with a scheduler other than fifo
  std::string sandbox = "auto";               // auto | on | off
  std::string zygotes = "on";                 // on | off: sandboxed Python cold starts fork from zygotes
  std::vector<std::string> zygote_preload;    // modules the zygote imports from Debian's python3-* packages
  std::int64_t zygote_budget_mb = 1024;       // the library sets' zygotes together
  std::string scaling = "none";               // a scaling policy spec (hyperfaas, knative) or none
  std::string code_scaling = "none";          // none | fixed[:F] | scorpius (policy/code_scaler.h)
  bool share_containers = false;              // HyperFaaS container sharing (with a scaling policy)
  std::int64_t max_result_kb = 1024;          // result limit (OpenWhisk's 1 MB); over it: the activation fails
  std::int64_t library_cache_mb = 2048;       // the node's unpacked-library cache bound (invoker/library_cache.h)
  std::string network = "none";               // none | per-container | particle (docs/network.md)
  std::string network_subnet = "10.231.0.0/16";  // the containers' addresses (the bridge takes the first)
  std::string freshen = "off";                // on | off: freshen hooks along sequences and on predicted arrivals
  std::int64_t freshen_timeout_ms = 10'000;   // the time a hook is given (docs/freshen.md)
  std::string snapshots = "off";              // off | vanilla | reap | faasnap: Python cold starts restore (docs/faasnap.md)
  std::int64_t snapshot_budget_mb = 2048;     // the invoker's snapshot images together (LRU)
  std::string inline_runs = "on";             // on | off: warm runs on an invoker's wire reader (docs/warm-path.md)
  std::string multiplex_runs = "on";          // on | off: one thread waits for a batch's warm runs (docs/warm-path.md)
  std::int64_t spin_us = kDefaultSpinUs;      // an invoker's bounded polling for its runtime's reply (docs/warm-path.md)
};

void add_pool_flags(CLI::App& cmd, PoolFlags& f);

struct ResolvedPool {
  invoker::LocalDispatcherConfig config;  // placement, keep-alive, prewarm resolved from the preset
  bool sandboxed = false;
  std::string sandbox_mode;       // when sandboxed: how (as root, or in unprivileged user namespaces)
  std::string why_not_sandboxed;  // when !sandboxed: --sandbox off and what that means
  std::size_t max_result_bytes = 1 << 20;
  bool zygotes = false;  // sandboxed and --zygotes on
  std::vector<std::string> zygote_preload;
  std::int64_t zygote_budget_mb = 1024;
  net::NetworkMode network = net::NetworkMode::kNone;  // not kNone: sandboxed as root, zygotes off
  std::string network_subnet;
  invoker::SnapshotMode snapshots = invoker::SnapshotMode::kOff;  // not kOff: as root, runsc found
  std::int64_t snapshot_budget_mb = 2048;
  bool inline_runs = true;  // --inline-runs on (InvokerAgentConfig::inline_runs)
  bool multiplex_runs = true;  // --multiplex-runs on (InvokerAgentConfig::multiplex_runs)
  std::int64_t spin_us = 0;  // --spin-us (runtime::ProcessOptions::reply_spin_us)
};
// The invoker's snapshot store under `data_dir`/snapshots (null with --snapshots off), printing its mode.
std::unique_ptr<invoker::SnapshotStore> make_snapshots(const ResolvedPool& pool, const std::string& data_dir,
                                                       const char* who);
// Throws std::invalid_argument for an unknown preset, or when functions cannot be sandboxed here and
// --sandbox is not off (`auto` and `on` both insist: a platform never runs unsandboxed unless told to).
ResolvedPool resolve(const PoolFlags& f);
// The flags that make a spawned `hearth invoker` use the same pool settings.
std::vector<std::string> invoker_args(const PoolFlags& f);
// The container networks of a resolved pool (null for --network none), printing what was built; throws
// std::runtime_error naming what failed.
std::unique_ptr<net::ContainerNetworks> make_networks(const ResolvedPool& pool, const char* who);

}  // namespace hearth::cli
