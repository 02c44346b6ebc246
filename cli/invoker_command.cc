// `hearth invoker --controller HOST:PORT|unix:PATH`: one invoker process — a container pool with its keep-alive
// and prewarm policies, running functions in sandboxes — joined to a controller over the wire protocol
// (docs/wire-protocol.md), authenticated with the token in --token-file. `hearth up` spawns these (joined on
// its Unix socket, unix:DATA_DIR/wire.sock, by default); on another host, point one at the controller's
// wire address (TCP) and give it a copy of DATA_DIR/wire.token.
// Serves until SIGINT/SIGTERM; when the controller goes away it keeps its containers and reconnects
// until the controller is back, unless --exit-with-controller (then exit code 1).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli/command_errors.h"
#include "cli/commands.h"
#include "cli/pool_flags.h"
#include "cli/wake_latency_flags.h"
#include "invoker/invoker_agent.h"
#include "invoker/planned_libraries.h"
#include "invoker/runtime_container_factory.h"
#include "net/secrets.h"
#include "net/wire_address.h"

namespace hearth::cli {
namespace {

struct InvokerFlags {
  std::string controller;
  std::string name;
  std::string data_dir = ".hearth-invoker";
  std::string token_file;
  std::string wire_tls_ca, wire_tls_name;
  bool exit_with_controller = false;
  PoolFlags pool;
  WakeLatencyFlags wake_latency;
};

int run(const InvokerFlags& f) {
  net::wire::parse_wire_address(f.controller);  // a bad address is said before anything starts
  const ResolvedPool pool = resolve(f.pool);
  check_wake_latency_flags(f.wake_latency);
  // SIGINT/SIGTERM are taken by a thread below, not delivered to whichever thread runs.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::filesystem::create_directories(f.data_dir);
  // Declared before the factory so that it outlives it: containers and library-set zygotes hold leases.
  invoker::LibraryCache libraries((std::filesystem::path(f.data_dir) / "libraries").string(), f.pool.library_cache_mb << 20);
  const std::unique_ptr<net::ContainerNetworks> networks = make_networks(pool, "hearth invoker");  // outlives the factory
  const std::unique_ptr<invoker::SnapshotStore> snapshots = make_snapshots(pool, f.data_dir, "hearth invoker");  // likewise
  invoker::RuntimeContainerFactory factory((std::filesystem::path(f.data_dir) / "code").string(), pool.sandboxed, 4,
                                          pool.zygotes, pool.zygote_preload, pool.zygote_budget_mb);
  factory.set_networks(networks.get());  // with networks: zygotes per tenant, no shared ones
  // Join with the zygote ready (a bounded wait; without it cold starts start interpreters until it is).
  if (factory.zygotes()) factory.zygotes()->wait_ready(1, 10'000);
  factory.set_max_result_bytes(pool.max_result_bytes);
  factory.set_reply_spin_us(pool.spin_us);
  factory.set_library_cache(&libraries);
  // The controller's library plan for this node; ended (below) while the agent it fetches through lives.
  auto planned = std::make_unique<invoker::PlannedLibraries>(libraries);
  factory.set_snapshots(snapshots.get());
  invoker::InvokerAgentConfig config;
  config.controller = f.controller;
  config.token = net::secrets::read_secret_file(f.token_file);
  config.name = f.name.empty() ? "invoker-" + std::to_string(getpid()) : f.name;
  config.pool = pool.config;
  config.reconnect = !f.exit_with_controller;
  config.inline_runs = pool.inline_runs ? invoker::InvokerAgentConfig::InlineRuns::kWatched
                                        : invoker::InvokerAgentConfig::InlineRuns::kOff;
  config.multiplex_runs = pool.multiplex_runs;
  config.tls_ca_file = f.wire_tls_ca;
  config.on_library_plan = [p = planned.get()](std::vector<net::LibraryRef> row) { p->set(std::move(row)); };
  config.tls_name = f.wire_tls_name;
  const std::unique_ptr<net::CpuWakeLatencyHold> wake_latency = make_wake_latency_hold(f.wake_latency, "hearth invoker");
  config.wake_latency = wake_latency.get();
  invoker::InvokerAgent agent(factory, config);
  libraries.set_fetcher([&agent](const net::LibraryRef& ref) { return agent.fetch_library(ref); });
  std::fprintf(stderr,
               "hearth invoker %s: joined %s (%lld MB, concurrency %d, keep-alive %s, prewarm %s, scheduler %s, pool "
               "manager %s, %s)\n",
               config.name.c_str(), f.controller.c_str(), static_cast<long long>(pool.config.invoker_memory_mb),
               pool.config.concurrency, pool.config.keepalive.c_str(), pool.config.prewarm.c_str(),
               pool.config.scheduler.c_str(), pool.config.pool_manager.c_str(),
               (pool.sandboxed ? pool.sandbox_mode : "NOT sandboxed: " + pool.why_not_sandboxed).c_str());

  std::atomic<bool> served{false};
  std::thread signal_thread([&] {
    const timespec tick{0, 100'000'000};
    while (!served) {
      if (sigtimedwait(&signals, nullptr, &tick) > 0) {
        agent.stop();
        return;
      }
    }
  });
  const std::string why = agent.serve();
  served = true;
  signal_thread.join();
  planned.reset();  // its fetches fail now that the connection is closed; the agent outlives them
  if (why == "stopped") return 0;
  std::fprintf(stderr, "hearth invoker %s: the controller went away: %s\n", config.name.c_str(), why.c_str());
  return 1;
}

}  // namespace

Action add_invoker_command(CLI::App& app) {
  auto f = std::make_shared<InvokerFlags>();
  CLI::App* cmd = app.add_subcommand("invoker", "Run one invoker and join a controller (hearth up's wire address)");
  cmd->add_option("--controller", f->controller, "The controller's wire address: HOST:PORT (TCP), or unix:PATH for a controller on this host "
                  "(hearth up's DATA_DIR/wire.sock)")->required();
  cmd->add_option("--name", f->name, "Invoker name, unique per controller (default invoker-PID)");
  cmd->add_option("--data-dir", f->data_dir, "Where this invoker keeps the code it runs");
  cmd->add_option("--token-file", f->token_file,
                  "File holding the controller's wire token (hearth up's DATA_DIR/wire.token, mode 0600)")
      ->required();
  cmd->add_option("--wire-tls-ca", f->wire_tls_ca,
                  "TLS on the wire: CA certificates (PEM) the controller's certificate must chain to (give the "
                  "controller's self-signed certificate to pin it); without it the wire is plain TCP")
      ->check(CLI::ExistingFile);
  cmd->add_option("--wire-tls-name", f->wire_tls_name,
                  "TLS: the name (DNS or IP) the controller's certificate must carry (default: the host of --controller)");
  cmd->add_flag("--exit-with-controller", f->exit_with_controller,
                "Exit when the controller goes away instead of reconnecting (hearth up's own invokers)");
  add_pool_flags(*cmd, f->pool);
  add_wake_latency_flags(*cmd, f->wake_latency);
  return [f] {
    return run_reporting_errors("hearth invoker", [&] { return run(*f); });
  };
}

}  // namespace hearth::cli
