// `hearth up`: a single-machine platform on an embedded default — controller (REST API, SQLite store
// under --data-dir) plus --invokers in-process invokers whose pools are driven by the same policy specs
// as `hearth sim`. Prints the API host and the guest credentials, then serves until SIGINT/SIGTERM.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "live/api.h"
#include "live/http_server.h"
#include "live/local_dispatcher.h"
#include "live/runtime_container_factory.h"
#include "policy/registry.h"
#include "sandbox/sandbox.h"

namespace hearth::cli {
namespace {

// OpenWhisk's well-known default guest credentials, so `wsk` and its SDKs work out of the box.
constexpr const char* kGuestUuid = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502";
constexpr const char* kGuestKey = "123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP";

struct UpFlags {
  std::string data_dir = ".hearth";
  std::string address = "127.0.0.1";
  std::uint16_t port = 3233;
  std::string preset = "openwhisk";
  std::string placement, keepalive, prewarm;
  live::LocalDispatcherConfig dispatcher;
  std::size_t max_payload_bytes = 1 << 20;
  std::string sandbox = "auto";  // auto | on | off
};

volatile std::sig_atomic_t g_stop = 0;

int run(const UpFlags& f) {
  std::filesystem::create_directories(f.data_dir);
  live::Store store((std::filesystem::path(f.data_dir) / "hearth.db").string());
  store.put_namespace("guest", kGuestUuid, kGuestKey);
  const policy::Preset* preset = policy::find_preset(f.preset);
  if (!preset) throw std::invalid_argument("unknown preset '" + f.preset + "'");
  live::LocalDispatcherConfig dc = f.dispatcher;
  dc.placement = f.placement.empty() ? preset->placement : f.placement;
  dc.keepalive = f.keepalive.empty() ? preset->keepalive : f.keepalive;
  dc.prewarm = f.prewarm.empty() ? preset->prewarm : f.prewarm;
  std::string why;
  const bool can_sandbox = sandbox::Sandbox::supported(&why);
  if (f.sandbox == "on" && !can_sandbox) throw std::invalid_argument("--sandbox on: " + why);
  const bool sandboxed = f.sandbox == "on" || (f.sandbox == "auto" && can_sandbox);
  live::RuntimeContainerFactory factory((std::filesystem::path(f.data_dir) / "code").string(), sandboxed);
  live::LocalDispatcher dispatcher(factory, dc);
  live::ApiConfig api_config;
  api_config.max_payload_bytes = f.max_payload_bytes;
  live::Api api(store, dispatcher, api_config);
  api.set_metrics_source([&dispatcher] { return dispatcher.prometheus_metrics(); });
  live::HttpServer server(api, live::HttpServerConfig{.address = f.address, .port = f.port});
  std::printf("hearth up: http://%s:%u  (placement %s, keep-alive %s, prewarm %s, %d invoker(s) of %lld MB, %s)\n",
              f.address.c_str(), server.port(), dc.placement.c_str(), dc.keepalive.c_str(), dc.prewarm.c_str(), dc.invokers,
              static_cast<long long>(dc.invoker_memory_mb), sandboxed ? "sandboxed" : ("NOT sandboxed: " + why).c_str());
  std::printf("export HEARTH_APIHOST=%s:%u HEARTH_AUTH=%s:%s\n", f.address.c_str(), server.port(), kGuestUuid, kGuestKey);
  std::fflush(stdout);
  std::signal(SIGINT, [](int) { g_stop = 1; });
  std::signal(SIGTERM, [](int) { g_stop = 1; });
  while (!g_stop) pause();
  std::printf("hearth up: stopping\n");
  server.stop();
  dispatcher.stop();
  return 0;
}

}  // namespace

Action add_up_command(CLI::App& app) {
  auto f = std::make_shared<UpFlags>();
  CLI::App* cmd = app.add_subcommand("up", "Run the platform on this machine (controller + invokers)");
  cmd->add_option("--data-dir", f->data_dir, "State directory (SQLite database)");
  cmd->add_option("--address", f->address, "Address to bind");
  cmd->add_option("--port", f->port, "API port (0 = any free port)");
  cmd->add_option("--invokers", f->dispatcher.invokers, "Invokers")->check(CLI::Range(1, 64));
  cmd->add_option("--invoker-memory-mb", f->dispatcher.invoker_memory_mb, "Memory per invoker, MB")->check(CLI::PositiveNumber);
  cmd->add_option("--concurrency", f->dispatcher.concurrency, "Concurrent invocations per invoker")->check(CLI::Range(1, 1024));
  cmd->add_option("--preset", f->preset, "Policy preset (as in hearth sim)");
  cmd->add_option("--placement", f->placement, "Placement policy spec");
  cmd->add_option("--keepalive", f->keepalive, "Keep-alive policy spec");
  cmd->add_option("--prewarm", f->prewarm, "Prewarm policy spec (none, openwhisk stem cells)");
  cmd->add_option("--sandbox", f->sandbox, "Run functions in sandboxes: auto (when root with cgroups), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  cmd->add_option("--max-payload-bytes", f->max_payload_bytes, "Invocation payload limit (413 above)");
  return [f] {
    try {
      return run(*f);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "hearth up: %s\n", e.what());
      return 2;
    }
  };
}

}  // namespace hearth::cli
