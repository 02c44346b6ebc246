#include "cli/pool_flags.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <CLI/CLI.hpp>

#include "model/duration.h"
#include "policy/code_scaler.h"
#include "policy/registry.h"
#include "policy/request_scheduler.h"
#include "sandbox/sandbox.h"
#include "snapshot/runsc_container.h"

namespace hearth::cli {

void add_pool_flags(CLI::App& cmd, PoolFlags& f) {
  cmd.add_option("--invoker-memory-mb,--memory-mb", f.memory_mb, "Memory per invoker, MB")->check(CLI::PositiveNumber);
  cmd.add_option("--concurrency", f.concurrency, "Concurrent invocations per invoker")->check(CLI::Range(1, 1024));
  cmd.add_option("--preset", f.preset, "Policy preset (as in hearth sim)");
  cmd.add_option("--placement", f.placement, "Placement policy spec");
  cmd.add_option("--keepalive", f.keepalive, "Keep-alive policy spec");
  cmd.add_option("--prewarm", f.prewarm, "Prewarm policy spec (none, openwhisk stem cells)");
  cmd.add_option("--scheduler", f.scheduler,
                 "Request scheduler spec: which of an invoker's waiting invocations start next (fifo: arrival "
                 "order; greedy, exact, incendio: Incendio's priority knapsack; hearth policies lists them)");
  cmd.add_option("--queue-timeout", f.queue_timeout,
                 "With a request scheduler: an invocation still waiting this long in its invoker's queue ends with "
                 "a whisk error, as in hearth sim (e.g. 60s, 500ms; 0: never; default 60s with a scheduler other "
                 "than fifo, never with fifo)");
  cmd.add_option("--pool-manager", f.pool_manager,
                 "Pool manager spec: prewarms and terminates containers per function on a tick (none; "
                 "hearth policies lists them)");
  cmd.add_option("--scaling", f.scaling,
                 "Scaling policy: none (one invocation per container, OpenWhisk), hyperfaas (containers run "
                 "several workers, scaled up in place), knative");
  cmd.add_option("--code-scaling", f.code_scaling,
                 "Code scaling (Scorpius Eq. 8, docs/scorpius.md): none (containers start on demand), fixed[:F] "
                 "(prepare a function's next container once its usage reaches b-1+F of its b containers; F 0.7), "
                 "scorpius (on-demand thresholds adjusted by late and early preparations)");
  cmd.add_flag("--share-containers", f.share_containers,
               "With a scaling policy: a function needing a new container first borrows a spare worker of "
               "another function's container and loads its code there (HyperFaaS container sharing)");
  cmd.add_option("--sandbox", f.sandbox,
                 "Run functions in sandboxes: auto/on (as root: namespaces + cgroups; otherwise unprivileged user "
                 "namespaces with rlimits; refuses to start where neither works), off (plain processes of this user)")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  cmd.add_option("--zygotes", f.zygotes,
                 "on: a sandboxed Python cold start forks from a zygote (a sandboxed interpreter with the "
                 "function's libraries imported; docs/zygotes.md) instead of starting an interpreter; off: never")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option("--zygote-preload", f.zygote_preload,
                 "A module the zygote imports from Debian's python3-* packages (/usr/lib/python3/dist-packages) "
                 "before forking, so Python functions start with it loaded (repeatable; e.g. numpy)");
  cmd.add_option("--zygote-budget-mb", f.zygote_budget_mb,
                 "Memory the zygotes of declared library sets may take together, MB; the sets kept are the most "
                 "popular per MB of their cold starts (docs/zygotes.md); 0: only the empty set's zygote")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 20));
  cmd.add_option("--max-result-kb", f.max_result_kb,
                 "Largest result an action may return, KiB (OpenWhisk's 1 MB); a longer one ends its activation "
                 "with \"The action produced a response that exceeded the allowed length\"")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{8192}));  // escaped ×6 it stays under the wire's 64 MiB frames
  cmd.add_option("--library-cache-mb", f.library_cache_mb,
                 "Bound of the node's cache of unpacked libraries, MB; least recently used libraries no container "
                 "uses are removed past it (docs/libraries.md)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20));
  cmd.add_option("--network", f.network,
                 "Functions' network (docs/network.md): none (a namespace with only loopback, the default), "
                 "per-container (a namespace + veth per container on a host bridge, NAT egress), particle (one "
                 "namespace + veth per tenant, a pinned address per container, NAT egress); the last two need root; "
                 "with them stem cells and library sets' zygotes are off, and particle keeps a zygote per tenant")
      ->check(CLI::IsMember({"none", "per-container", "particle"}));
  cmd.add_option("--network-subnet", f.network_subnet,
                 "IPv4 subnet of the functions' addresses, prefix length 16-28; the host bridge takes the first "
                 "address (a server for functions binds it); `hearth up` splits it among its invokers");
  cmd.add_option("--freshen", f.freshen,
                 "freshen hooks (docs/freshen.md): on starts a function's freshen(state) in an idle container of it "
                 "when a sequence's previous component starts and when the pool manager predicts an arrival; off "
                 "(the default) never runs hooks")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option("--freshen-timeout-ms", f.freshen_timeout_ms, "Time a freshen hook may run, ms")
      ->check(CLI::Range(std::int64_t{1}, invoker::kMaxFreshenTimeoutMs));
  cmd.add_option("--snapshots", f.snapshots,
                 "Function snapshots (docs/faasnap.md): after a Python function's first cold start and invocation the "
                 "invoker checkpoints its initialised runtime under gVisor's runsc, and later cold starts restore from it "
                 "(start kind snapshot): vanilla (plain restore), reap (the recorded working set read before the "
                 "restore), faasnap (read concurrently with it); off (the default). Needs root and runsc")
      ->check(CLI::IsMember({"off", "vanilla", "reap", "faasnap"}));
  cmd.add_option("--snapshot-budget-mb", f.snapshot_budget_mb,
                 "Disk the invoker's snapshot images may take together, MB; the least recently used go past it")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 24));
  cmd.add_option("--inline-runs", f.inline_runs,
                 "on (the default): an invoker process runs a warm invocation on the thread that read it from the "
                 "controller, handing the connection to another thread if a frame arrives meanwhile "
                 "(docs/warm-path.md); off: every run goes to a worker thread")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option("--multiplex-runs", f.multiplex_runs,
                 "on (the default, with --inline-runs on): the warm runs of invokes that arrive while others run are "
                 "begun on the invoker's reading thread and waited for together, one poll for all their runtimes "
                 "and the controller (docs/warm-path.md, warm-inv6); off: each goes to a worker thread")
      ->check(CLI::IsMember({"on", "off"}));
  cmd.add_option("--spin-us", f.spin_us,
                 "At most this long (µs) an invoker's thread waiting for its runtime's reply polls without blocking "
                 "before it sleeps, if recent replies came quickly (twice their typical wait; docs/warm-path.md); "
                 "0: always sleep at once")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{10'000}));
}

ResolvedPool resolve(const PoolFlags& f) {
  const policy::Preset* preset = policy::find_preset(f.preset);
  if (!preset) throw std::invalid_argument("unknown preset '" + f.preset + "' (hearth policies lists them)");
  ResolvedPool r;
  r.config.invoker_memory_mb = f.memory_mb;
  r.config.concurrency = f.concurrency;
  r.config.placement = f.placement.empty() ? preset->placement : f.placement;
  r.config.keepalive = f.keepalive.empty() ? preset->keepalive : f.keepalive;
  r.config.prewarm = f.prewarm.empty() ? preset->prewarm : f.prewarm;
  r.config.scheduler = f.scheduler.empty() ? preset->scheduler : f.scheduler;
  r.config.pool_manager = f.pool_manager.empty() ? preset->pool_manager : f.pool_manager;
  if (policy::spec_name(r.config.keepalive) == "snapshot-and-release" && f.snapshots == "off")
    throw std::invalid_argument("--keepalive " + r.config.keepalive +
                                " releases idle containers into function snapshots: it needs --snapshots vanilla, reap or "
                                "faasnap (as root, with runsc; docs/faasnap.md)");
  {  // bad specs fail here, with the flag's name, not later in a spawned invoker
    policy::PolicyContext ctx;
    try {
      policy::make_request_scheduler(r.config.scheduler, ctx);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--scheduler: ") + e.what());
    }
    try {
      policy::make_pool_manager(r.config.pool_manager, ctx);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--pool-manager: ") + e.what());
    }
    try {
      if (policy::parse_code_scaler(f.code_scaling).mode != policy::LiveCodeScaling::kNone &&
          ((f.scaling != "none" && f.scaling != "openwhisk") || r.config.scheduler != "fifo"))
        throw std::invalid_argument("it runs on the fifo path: no --scaling, --scheduler fifo (preset " + f.preset +
                                    " sets scheduler " + r.config.scheduler + ")");
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--code-scaling: ") + e.what());
    }
    if (f.scaling != "none" && f.scaling != "openwhisk" &&
        (r.config.scheduler != "fifo" || r.config.pool_manager != "none"))
      throw std::invalid_argument("--scaling " + f.scaling + " takes no --scheduler or --pool-manager (preset " +
                                  f.preset + " sets scheduler " + r.config.scheduler + ", pool manager " +
                                  r.config.pool_manager + ")");
  }
  try {
    r.config.queue_timeout_us = f.queue_timeout.empty()
                                    ? (r.config.scheduler == "fifo" ? 0 : policy::kDefaultSchedulerQueueTimeoutUs)
                                    : model::parse_duration(f.queue_timeout, model::kMicrosPerMilli);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("--queue-timeout: ") + e.what());
  }
  if (r.config.queue_timeout_us > 0 && r.config.scheduler == "fifo" && !f.queue_timeout.empty())
    throw std::invalid_argument("--queue-timeout needs a request scheduler (--scheduler other than fifo, or a preset "
                                "with one): the fifo path keeps no invoker queue");
  r.config.scaling = f.scaling;
  r.config.code_scaling = f.code_scaling;
  r.config.share_containers = f.share_containers;
  r.config.freshen_timeout_ms = f.freshen == "on" ? f.freshen_timeout_ms : 0;
  r.inline_runs = f.inline_runs == "on";
  r.multiplex_runs = f.multiplex_runs == "on";
  r.spin_us = f.spin_us;
  const std::string unsandboxed =
      "functions run as plain processes of user " + std::to_string(geteuid()) +
      ": they read and write whatever it can, see its environment, the host's processes and network, "
      "and have no memory, CPU or process limits";
  if (f.sandbox == "off") {
    if (f.network != "none") throw std::invalid_argument("--network " + f.network + " needs sandboxes (not --sandbox off)");
    if (f.snapshots != "off") throw std::invalid_argument("--snapshots " + f.snapshots + " needs sandboxes (not --sandbox off)");
    r.why_not_sandboxed = "--sandbox off: " + unsandboxed;
    return r;
  }
  std::string why;
  const std::optional<sandbox::Privilege> privilege = sandbox::Sandbox::privilege(&why);
  if (!privilege)
    throw std::invalid_argument("cannot sandbox functions here: " + why +
                                ". Run as root, allow unprivileged user namespaces, or pass --sandbox off (then " +
                                unsandboxed + ")");
  r.sandboxed = true;
  r.sandbox_mode = *privilege == sandbox::Privilege::kRoot
                       ? "sandboxed"
                       : "sandboxed in user namespaces (no writable cgroups: memory and processes limited by rlimits, "
                         "no CPU quota, no OOM report)";
  r.max_result_bytes = static_cast<std::size_t>(f.max_result_kb) * 1024;
  const std::optional<invoker::SnapshotMode> snapshots = invoker::parse_snapshot_mode(f.snapshots);
  if (!snapshots) throw std::invalid_argument("--snapshots '" + f.snapshots + "': expected off, vanilla, reap or faasnap");
  r.snapshots = *snapshots;
  r.snapshot_budget_mb = f.snapshot_budget_mb;
  if (r.snapshots != invoker::SnapshotMode::kOff) {
    if (*privilege != sandbox::Privilege::kRoot)
      throw std::invalid_argument("--snapshots " + f.snapshots + " needs root (runsc and cgroups); functions here are " +
                                  r.sandbox_mode + "; use --snapshots off");
    if (!snapshot::find_runsc())
      throw std::invalid_argument("--snapshots " + f.snapshots +
                                  " needs gVisor's runsc on PATH (scripts/setup installs it from bookworm-backports)");
  }
  r.zygotes = r.sandboxed && f.zygotes == "on";
  r.zygote_preload = f.zygote_preload;
  r.zygote_budget_mb = f.zygote_budget_mb;
  const std::optional<net::NetworkMode> mode = net::parse_network_mode(f.network);
  if (!mode) throw std::invalid_argument("--network '" + f.network + "': expected none, per-container or particle");
  r.network = *mode;
  r.network_subnet = f.network_subnet;
  if (r.network != net::NetworkMode::kNone) {
    if (*privilege != sandbox::Privilege::kRoot)
      throw std::invalid_argument("--network " + f.network + " needs root with writable cgroups (functions here are " +
                                  r.sandbox_mode + "); use --network none");
    if (std::string why; !net::ContainerNetworks::supported(r.network, &why))
      throw std::invalid_argument("--network " + f.network + ": " + why);
    if (!net::parse_ipv4_cidr(f.network_subnet))
      throw std::invalid_argument("--network-subnet '" + f.network_subnet + "' is not an IPv4 a.b.c.d/len");
  }
  return r;
}

std::vector<std::string> invoker_args(const PoolFlags& f) {
  std::vector<std::string> a = {"--memory-mb", std::to_string(f.memory_mb), "--concurrency", std::to_string(f.concurrency),
                                "--preset", f.preset, "--sandbox", f.sandbox, "--zygotes", f.zygotes,
                                "--zygote-budget-mb", std::to_string(f.zygote_budget_mb), "--scaling", f.scaling,
                                "--code-scaling", f.code_scaling,
                                "--max-result-kb", std::to_string(f.max_result_kb),
                                "--library-cache-mb", std::to_string(f.library_cache_mb), "--freshen", f.freshen,
                                "--freshen-timeout-ms", std::to_string(f.freshen_timeout_ms), "--snapshots", f.snapshots,
                                "--snapshot-budget-mb", std::to_string(f.snapshot_budget_mb), "--inline-runs", f.inline_runs,
                                "--multiplex-runs", f.multiplex_runs, "--spin-us", std::to_string(f.spin_us)};
  if (f.share_containers) a.push_back("--share-containers");
  a.insert(a.end(), {"--network", f.network, "--network-subnet", f.network_subnet});
  for (const std::string& m : f.zygote_preload) a.insert(a.end(), {"--zygote-preload", m});
  if (!f.keepalive.empty()) a.insert(a.end(), {"--keepalive", f.keepalive});
  if (!f.prewarm.empty()) a.insert(a.end(), {"--prewarm", f.prewarm});
  if (!f.scheduler.empty()) a.insert(a.end(), {"--scheduler", f.scheduler});
  if (!f.pool_manager.empty()) a.insert(a.end(), {"--pool-manager", f.pool_manager});
  if (!f.queue_timeout.empty()) a.insert(a.end(), {"--queue-timeout", f.queue_timeout});
  return a;
}

}  // namespace hearth::cli

namespace hearth::cli {

std::unique_ptr<invoker::SnapshotStore> make_snapshots(const ResolvedPool& pool, const std::string& data_dir,
                                                       const char* who) {
  if (pool.snapshots == invoker::SnapshotMode::kOff) return nullptr;
  auto store = std::make_unique<invoker::SnapshotStore>((std::filesystem::path(data_dir) / "snapshots").string(),
                                                        pool.snapshots, pool.snapshot_budget_mb);
  std::fprintf(stderr, "%s: function snapshots %s (runsc %s, %lld MB of images, in %s)\n", who,
               invoker::snapshot_mode_name(pool.snapshots), store->runsc().runsc.c_str(),
               static_cast<long long>(pool.snapshot_budget_mb), store->dir().c_str());
  return store;
}

std::unique_ptr<net::ContainerNetworks> make_networks(const ResolvedPool& pool, const char* who) {
  if (pool.network == net::NetworkMode::kNone) return nullptr;
  net::NetworkConfig c;
  c.mode = pool.network;
  c.subnet = pool.network_subnet;
  auto networks = std::make_unique<net::ContainerNetworks>(c);
  std::fprintf(stderr, "%s: network %s: bridge %s, gateway %s, subnet %s, names prefixed %s\n", who,
               net::network_mode_name(c.mode), networks->bridge().c_str(), networks->gateway().c_str(), c.subnet.c_str(),
               networks->prefix().c_str());
  return networks;
}

}  // namespace hearth::cli
