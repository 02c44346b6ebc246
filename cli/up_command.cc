// `hearth up`: a single-machine platform on an embedded default — the controller (REST API, SQLite
// store under --data-dir, placement) plus --invokers invoker processes (`hearth invoker`, spawned here
// and joined over the wire protocol on --wire-port, authenticated by the token in DATA_DIR/wire.token,
// whose path — not the token — is on their command line) whose pools run the same policy specs as
// `hearth sim`. --invokers 0 waits for invokers started elsewhere; --in-process runs the invokers as
// threads of this process instead (no wire hop). Prints the API host and the default namespace's
// credentials (a random key per data directory: cli/default_namespace.h), then
// serves until SIGINT/SIGTERM and stops everything it started.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "cli/default_namespace.h"
#include "cli/pool_flags.h"
#include "live/api.h"
#include "live/http_server.h"
#include "live/local_dispatcher.h"
#include "live/remote_dispatcher.h"
#include "live/runtime_container_factory.h"
#include "live/secrets.h"
#include "live/wire_auth.h"

namespace hearth::cli {
namespace {

struct UpFlags {
  std::string data_dir = ".hearth";
  std::string address = "127.0.0.1";
  std::uint16_t port = 3233;
  int invokers = 1;
  bool in_process = false;
  std::string wire_address = "127.0.0.1";
  std::uint16_t wire_port = 0;
  std::size_t max_payload_bytes = 1 << 20;
  int stale_replacements = live::RemoteDispatcherConfig{}.max_stale_replacements;
  PoolFlags pool;
};

// Invoker processes spawned by this controller: SIGTERM on destruction, SIGKILL after 3 s. Each child
// also gets SIGTERM if this process dies first (PR_SET_PDEATHSIG).
class InvokerProcesses {
 public:
  void spawn(const std::vector<std::string>& args, const sigset_t& unblock) {
    std::vector<char*> argv;
    std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    argv.push_back(self.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(1);
      pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    pids_.push_back(pid);
  }
  ~InvokerProcesses() { terminate(); }
  void terminate() {
    for (pid_t p : pids_) kill(p, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    for (pid_t p : pids_) {
      while (waitpid(p, nullptr, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          kill(p, SIGKILL);
          waitpid(p, nullptr, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    pids_.clear();
  }

 private:
  std::vector<pid_t> pids_;
};

int run(const UpFlags& f) {
  const ResolvedPool pool = resolve(f.pool);
  // SIGINT/SIGTERM are collected by sigwait below (all threads inherit this mask; children unblock).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::filesystem::path data(f.data_dir);
  if (std::filesystem::create_directories(data))  // a new data directory holds keys and code: owner only
    std::filesystem::permissions(data, std::filesystem::perms::owner_all);
  live::Store store((data / "hearth.db").string());
  const live::Credentials guest = default_namespace(store, data);

  std::unique_ptr<live::RuntimeContainerFactory> factory;
  std::unique_ptr<live::LocalDispatcher> local;
  std::unique_ptr<live::RemoteDispatcher> remote;
  InvokerProcesses children;
  std::string topology;
  if (f.in_process) {
    live::LocalDispatcherConfig dc = pool.config;
    dc.invokers = std::max(1, f.invokers);
    factory = std::make_unique<live::RuntimeContainerFactory>((data / "code").string(), pool.sandboxed);
    local = std::make_unique<live::LocalDispatcher>(*factory, dc);
    topology = std::to_string(dc.invokers) + " in-process invoker(s)";
  } else {
    live::RemoteDispatcherConfig rc;
    // The invokers' shared secret: made on first start, kept (mode 0600) so restarted and hand-started
    // invokers (`hearth invoker --token-file DATA_DIR/wire.token`) can rejoin.
    const std::string token_file = (data / "wire.token").string();
    if (!std::filesystem::exists(token_file)) live::secrets::write_secret_file(token_file, live::wire::new_token());
    rc.token = live::secrets::read_secret_file(token_file);
    rc.address = f.wire_address;
    rc.port = f.wire_port;
    rc.placement = pool.config.placement;
    rc.max_stale_replacements = f.stale_replacements;
    if (f.wire_address != "127.0.0.1")
      std::fprintf(stderr, "hearth up: the wire on %s is authenticated but not encrypted: code, parameters and results "
                   "cross it in clear text; use a trusted network or a tunnel (docs/wire-protocol.md)\n",
                   f.wire_address.c_str());
    remote = std::make_unique<live::RemoteDispatcher>(rc);
    const std::string wire = f.wire_address + ":" + std::to_string(remote->port());
    for (int i = 0; i < f.invokers; ++i) {
      std::vector<std::string> args = {"invoker", "--controller", wire, "--name", "invoker" + std::to_string(i),
                                       "--data-dir", (data / ("invoker" + std::to_string(i))).string(),
                                       "--token-file", token_file, "--exit-with-controller"};
      for (const std::string& a : invoker_args(f.pool)) args.push_back(a);
      children.spawn(args, signals);
    }
    const int up = remote->wait_for_invokers(f.invokers, 15'000);
    if (up < f.invokers)
      throw std::runtime_error("only " + std::to_string(up) + " of " + std::to_string(f.invokers) +
                               " invokers joined within 15 s (see their messages above)");
    topology = std::to_string(f.invokers) + " invoker process(es), wire " + wire;
  }
  live::Dispatcher& dispatcher = local ? static_cast<live::Dispatcher&>(*local) : *remote;
  live::ApiConfig api_config;
  api_config.max_payload_bytes = f.max_payload_bytes;
  live::Api api(store, dispatcher, api_config);
  api.set_metrics_source([&] { return local ? local->prometheus_metrics() : remote->prometheus_metrics(); });
  api.set_invokers_source([&] {  // OpenWhisk's shape: {"name/index": "up" | "down"}
    nlohmann::json out = nlohmann::json::object();
    if (local) {
      for (int i = 0; i < std::max(1, f.invokers); ++i) out["invoker" + std::to_string(i) + "/" + std::to_string(i)] = "up";
    } else {
      const auto all = remote->invokers();
      for (std::size_t i = 0; i < all.size(); ++i) out[all[i].name + "/" + std::to_string(i)] = all[i].up ? "up" : "down";
    }
    return out.dump();
  });
  live::HttpServer server(api, live::HttpServerConfig{.address = f.address, .port = f.port});
  std::printf("hearth up: http://%s:%u  (placement %s, keep-alive %s, prewarm %s, %s of %lld MB, %s)\n",
              f.address.c_str(), server.port(), pool.config.placement.c_str(), pool.config.keepalive.c_str(),
              pool.config.prewarm.c_str(), topology.c_str(), static_cast<long long>(pool.config.invoker_memory_mb),
              pool.sandboxed ? "sandboxed" : ("NOT sandboxed: " + pool.why_not_sandboxed).c_str());
  std::printf("export HEARTH_APIHOST=%s:%u HEARTH_AUTH=%s\n", f.address.c_str(), server.port(), guest.pair().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  std::printf("hearth up: stopping\n");
  std::fflush(stdout);
  server.stop();
  children.terminate();  // invokers finish what they run and leave before the controller closes the wire
  if (local) local->stop();
  if (remote) remote->stop();
  return 0;
}

}  // namespace

Action add_up_command(CLI::App& app) {
  auto f = std::make_shared<UpFlags>();
  CLI::App* cmd = app.add_subcommand("up", "Run the platform on this machine (controller + invokers)");
  cmd->add_option("--data-dir", f->data_dir, "State directory (SQLite database, invokers' code)");
  cmd->add_option("--address", f->address, "Address to bind the API to");
  cmd->add_option("--port", f->port, "API port (0 = any free port)");
  cmd->add_option("--invokers", f->invokers, "Invoker processes to start (0: wait for `hearth invoker`s)")
      ->check(CLI::Range(0, 64));
  cmd->add_flag("--in-process", f->in_process, "Run the invokers as threads of this process (no wire hop)");
  cmd->add_option("--wire-address", f->wire_address, "Address invokers connect to");
  cmd->add_option("--wire-port", f->wire_port, "Port invokers connect to (0 = any free port)");
  cmd->add_option("--max-payload-bytes", f->max_payload_bytes, "Invocation payload limit (413 above)");
  cmd->add_option("--stale-replacements", f->stale_replacements,
                  "Times an invocation an invoker answers stale (no idle container left) is placed again; 0: never "
                  "expect warm starts")
      ->check(CLI::Range(0, 16));
  add_pool_flags(*cmd, f->pool);
  return [f] {
    try {
      return run(*f);
    } catch (const std::invalid_argument& e) {
      std::fprintf(stderr, "hearth up: %s\n", e.what());
      return 2;
    } catch (const std::runtime_error& e) {
      std::fprintf(stderr, "hearth up: %s\n", e.what());
      return 1;
    }
  };
}

}  // namespace hearth::cli
