// `hearth up`: a single-machine platform on an embedded default — the controller (REST API, SQLite
// store under --data-dir, placement) plus --invokers invoker processes (`hearth invoker`, spawned here
// and joined over the wire protocol — on the Unix socket DATA_DIR/wire.sock unless --wire-socket says
// another path or off; invokers on other hosts join on --wire-port (TCP) —, authenticated by the token in
// DATA_DIR/wire.token, whose path — not the token — is on their command line) whose pools run the same policy specs as
// `hearth sim`. --invokers 0 waits for invokers started elsewhere; --in-process runs the invokers as
// threads of this process instead (no wire hop). Prints the API host and the default namespace's
// credentials (a random key per data directory: cli/default_namespace.h), then
// serves until SIGINT/SIGTERM and stops everything it started: new connections are refused at once,
// running activations may finish for --drain-timeout (30 s), then what still runs is recorded as ended
// by the shutdown and the invoker processes are stopped, so the process exits within the drain timeout
// plus a few seconds whatever functions do (--in-process invokers wait for a running function's own
// time limit instead).
#include <signal.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/command_errors.h"
#include "cli/commands.h"
#include "cli/default_namespace.h"
#include "cli/pool_flags.h"
#include "cli/wake_latency_flags.h"
#include "cli/wire_socket.h"
#include "controller/answer_log.h"
#include "controller/api.h"
#include "net/http_server.h"
#include "invoker/local_dispatcher.h"
#include "controller/remote_dispatcher.h"
#include "invoker/runtime_container_factory.h"
#include "model/duration.h"
#include "net/secrets.h"
#include "net/wire_auth.h"
#include "net/wire_tls.h"

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
  std::string wire_tls_cert, wire_tls_key;  // TLS on the wire (live/wire_tls.h); required off loopback
  std::string wire_tls_name;                // the name this host's invokers verify (default: the wire address)
  bool wire_insecure = false;               // … unless this: clear text off loopback
  std::string wire_socket;  // the own invokers' Unix socket: "" = DATA_DIR/wire.sock, "off" = TCP (cli/wire_socket.h)
  std::size_t max_payload_bytes = 1 << 20;
  int stale_replacements = controller::RemoteDispatcherConfig{}.max_stale_replacements;
  std::int64_t wire_spin_us = 0;  // RemoteDispatcherConfig::spin_us
  std::int64_t own_read_us = controller::RemoteDispatcherConfig{}.own_read_us;
  std::int64_t own_read_spin_us = controller::RemoteDispatcherConfig{}.own_read_spin_us;
  std::string wire_binary_frames = "on";  // RemoteDispatcherConfig::binary_frames
  std::string answer_log = "on";  // ApiConfig::answer_log: DATA_DIR/answers.log
  WakeLatencyFlags wake_latency;  // this host's (net/cpu_wake_latency.h); its own invokers are told off
  bool restart_invokers = true;
  std::string activation_retention = "7d";  // activation records older than this are deleted; 0 = never
  std::string idle_timeout = "60s", header_timeout = "10s";
  // On SIGTERM/SIGINT, how long running activations may go on before they are recorded as ended by the
  // shutdown: Kubernetes' default termination grace period, which an OpenWhisk deployment's pods get.
  std::string drain_timeout = "30s";
  std::string library_repo;  // the library repository (docs/libraries.md); empty: none
  std::string library_plan = "none";  // proactive library preparation (controller/library_plan.h)
  std::int64_t library_plan_mb = 64;
  int max_connections = net::HttpServerConfig{}.max_connections;
  std::int64_t max_in_flight = controller::ApiConfig{}.max_in_flight;
  PoolFlags pool;
};

// Invoker processes spawned by this controller: SIGTERM on destruction, SIGKILL after 3 s. Each child
// also gets SIGTERM if this process dies first (PR_SET_PDEATHSIG). With `restart`, a supervisor thread
// starts again an invoker that exits while the platform runs (killed, crashed): after 100 ms, doubling
// to 5 s while it keeps dying within 30 s of its start; each death and restart is logged on stderr. The
// new process says hello under the same name and takes its slot back (docs/wire-protocol.md).
class InvokerProcesses {
 public:
  void spawn(const std::string& name, const std::vector<std::string>& args, const sigset_t& unblock) {
    std::lock_guard lock(mu_);
    children_.push_back(Child{name, args, start(args, unblock), std::chrono::steady_clock::now()});
    unblock_ = unblock;
  }
  // Starts supervising (after the first spawns, so a child that cannot start at all fails `hearth up`).
  void supervise() {
    supervisor_ = std::thread([this] { supervise_loop(); });
  }
  ~InvokerProcesses() { terminate(); }
  void terminate() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (supervisor_.joinable()) supervisor_.join();
    for (const Child& c : children_)
      if (c.pid > 0) kill(c.pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    for (const Child& c : children_) {
      if (c.pid <= 0) continue;
      while (waitpid(c.pid, nullptr, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
          kill(c.pid, SIGKILL);
          waitpid(c.pid, nullptr, 0);
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    children_.clear();
  }

 private:
  struct Child {
    std::string name;
    std::vector<std::string> args;
    pid_t pid = -1;  // -1: waiting to be started again at `restart_at`
    std::chrono::steady_clock::time_point started, restart_at{};
    std::int64_t backoff_ms = 0;
  };

  static pid_t start(const std::vector<std::string>& args, const sigset_t& unblock) {
    std::vector<char*> argv;
    std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    argv.push_back(self.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("cannot start an invoker: fork: ") + std::strerror(errno));
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // the forking thread lives as long as the platform serves
      if (getppid() != parent) _exit(1);
      pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    return pid;
  }

  static std::string how(int status) {
    if (WIFSIGNALED(status)) return std::string("killed by signal ") + std::to_string(WTERMSIG(status));
    return "exited with status " + std::to_string(WEXITSTATUS(status));
  }

  void supervise_loop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stopping_; });
      if (stopping_) break;
      const auto now = std::chrono::steady_clock::now();
      for (Child& c : children_) {
        int status = 0;
        if (c.pid > 0 && waitpid(c.pid, &status, WNOHANG) == c.pid) {
          const bool stable = now - c.started > std::chrono::seconds(30);
          c.backoff_ms = stable ? 100 : std::clamp<std::int64_t>(c.backoff_ms * 2, 100, 5000);
          std::fprintf(stderr, "hearth up: invoker %s (pid %d) %s; restarting it in %lld ms\n", c.name.c_str(),
                       static_cast<int>(c.pid), how(status).c_str(), static_cast<long long>(c.backoff_ms));
          c.pid = -1;
          c.restart_at = now + std::chrono::milliseconds(c.backoff_ms);
        }
        if (c.pid < 0 && now >= c.restart_at) {
          try {
            c.pid = start(c.args, unblock_);
            c.started = now;
            std::fprintf(stderr, "hearth up: invoker %s restarted (pid %d)\n", c.name.c_str(), static_cast<int>(c.pid));
          } catch (const std::exception& e) {
            c.backoff_ms = std::clamp<std::int64_t>(c.backoff_ms * 2, 100, 5000);
            c.restart_at = now + std::chrono::milliseconds(c.backoff_ms);
            std::fprintf(stderr, "hearth up: %s; trying again in %lld ms\n", e.what(), static_cast<long long>(c.backoff_ms));
          }
        }
      }
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Child> children_;
  sigset_t unblock_{};
  bool stopping_ = false;
  std::thread supervisor_;
};

// Deletes activation records older than the retention, at start and then every retention/10 (between
// 1 s and 1 h); a retention of 0 keeps them for ever. Failures are reported on stderr and retried.
class ActivationPruner {
 public:
  ActivationPruner(controller::Store& store, model::Micros retention) : store_(store), retention_(retention) {
    if (retention_ > 0) thread_ = std::thread([this] { loop(); });
  }
  ~ActivationPruner() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    const auto every = std::chrono::microseconds(std::clamp<model::Micros>(retention_ / 10, model::kMicrosPerSecond,
                                                                          model::kMicrosPerHour));
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      try {
        const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
        store_.prune_activations(now - retention_);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "hearth up: pruning old activation records failed: %s\n", e.what());
      }
      lock.lock();
      wake_.wait_for(lock, every, [this] { return stopping_; });
    }
  }
  controller::Store& store_;
  model::Micros retention_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

int run(const UpFlags& f) {
  const ResolvedPool pool = resolve(f.pool);
  net::HttpServerConfig http{.address = f.address, .port = f.port};
  const auto duration = [](const char* flag, const std::string& text) {
    try {
      return model::parse_duration(text, model::kMicrosPerSecond);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string(flag) + ": " + e.what());
    }
  };
  http.idle_timeout_ms = duration("--idle-timeout", f.idle_timeout) / 1000;
  http.header_timeout_ms = duration("--header-timeout", f.header_timeout) / 1000;
  http.max_connections = f.max_connections;
  const model::Micros retention = duration("--activation-retention", f.activation_retention);
  const model::Micros drain = duration("--drain-timeout", f.drain_timeout);
  check_wake_latency_flags(f.wake_latency);
  // Connections are descriptors: take the hard limit, and say when it cannot hold --max-connections.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
    if (files.rlim_cur != RLIM_INFINITY && files.rlim_cur < static_cast<rlim_t>(f.max_connections) + 256)
      std::fprintf(stderr, "hearth up: the open-file limit (%llu) is below --max-connections %d + 256: past it, "
                   "accepts fail and are retried\n", static_cast<unsigned long long>(files.rlim_cur), f.max_connections);
  }

  // SIGINT/SIGTERM are collected by sigwait below (all threads inherit this mask; children unblock).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::filesystem::path data(f.data_dir);
  if (std::filesystem::create_directories(data))  // a new data directory holds keys and code: owner only
    std::filesystem::permissions(data, std::filesystem::perms::owner_all);
  // Declared before the store: the store's last flush (its destructor) releases the log's slots.
  std::optional<controller::AnswerLog> answer_log;
  controller::Store store((data / "hearth.db").string());
  const controller::Credentials guest = default_namespace(store, data);
  // Blocking invokes answered before their records' commits and not committed since (a kill came between):
  // stored now, before the journal's leftovers below are recorded as ended by that stop.
  const std::string answer_log_path = (data / "answers.log").string();
  if (const std::size_t n = controller::store_answered(store, controller::AnswerLog::recover(answer_log_path)))
    std::fprintf(stderr, "hearth up: %zu answered activation record(s) had not been committed when the platform last "
                 "stopped: stored from %s\n", n, answer_log_path.c_str());
  if (f.answer_log == "on") {
    try {
      answer_log.emplace(answer_log_path);
    } catch (const std::exception& e) {  // e.g. a full disk: answers wait for their commits, as with --answer-log off
      std::fprintf(stderr, "hearth up: no answer log (%s): blocking invokes are answered after their records' commits\n",
                   e.what());
    }
  } else {
    std::filesystem::remove(answer_log_path);
  }
  // Invocations accepted before a crash or kill and never recorded: each gets a record that says so.
  if (const std::size_t n = store.end_unfinished(
          "The controller stopped (killed or crashed) before this activation ended; it may have run in part.", net::wall_us()))
    std::fprintf(stderr, "hearth up: %zu accepted activation(s) had not ended when the platform last stopped: "
                 "recorded as ended by that stop\n", n);

  std::shared_ptr<const controller::LibraryRepository> libraries;
  if (!f.library_repo.empty()) {
    libraries = std::make_shared<const controller::LibraryRepository>(f.library_repo);
    std::fprintf(stderr, "hearth up: library repository %s: %zu libraries\n", f.library_repo.c_str(), libraries->size());
  }
  std::unique_ptr<invoker::LibraryCache> library_cache;  // --in-process: the node's cache, fed from the repository
  std::unique_ptr<net::ContainerNetworks> networks;      // --in-process: the node's container networks
  std::unique_ptr<invoker::SnapshotStore> snapshots;    // --in-process: the node's function snapshots
  std::unique_ptr<invoker::RuntimeContainerFactory> factory;
  std::unique_ptr<invoker::LocalDispatcher> local;
  std::unique_ptr<controller::RemoteDispatcher> remote;
  InvokerProcesses children;
  std::string topology;
  if (f.in_process) {
    invoker::LocalDispatcherConfig dc = pool.config;
    dc.invokers = std::max(1, f.invokers);
    factory = std::make_unique<invoker::RuntimeContainerFactory>((data / "code").string(), pool.sandboxed, 4, pool.zygotes,
                                                                 pool.zygote_preload, pool.zygote_budget_mb);
    networks = make_networks(pool, "hearth up");
    factory->set_networks(networks.get());  // with networks: zygotes per tenant, no shared ones
    if (factory->zygotes()) factory->zygotes()->wait_ready(1, 10'000);
    factory->set_max_result_bytes(pool.max_result_bytes);
    factory->set_reply_spin_us(pool.spin_us);
    snapshots = make_snapshots(pool, data.string(), "hearth up");
    factory->set_snapshots(snapshots.get());
    if (libraries) {
      library_cache = std::make_unique<invoker::LibraryCache>((data / "libraries").string(), f.pool.library_cache_mb << 20);
      library_cache->set_fetcher([libraries](const net::LibraryRef& ref) {
        std::optional<std::string> deb = libraries->read(ref.sha256);
        if (!deb) throw std::runtime_error("no library with SHA-256 " + ref.sha256 + " in the repository");
        return std::move(*deb);
      });
      factory->set_library_cache(library_cache.get());
    }
    local = std::make_unique<invoker::LocalDispatcher>(*factory, dc);
    topology = std::to_string(dc.invokers) + " in-process invoker(s)";
  } else {
    controller::RemoteDispatcherConfig rc;
    // The invokers' shared secret: made on first start, kept (mode 0600) so restarted and hand-started
    // invokers (`hearth invoker --token-file DATA_DIR/wire.token`) can rejoin.
    const std::string token_file = (data / "wire.token").string();
    if (!std::filesystem::exists(token_file)) net::secrets::write_secret_file(token_file, net::wire::new_token());
    rc.token = net::secrets::read_secret_file(token_file);
    rc.address = f.wire_address;
    rc.port = f.wire_port;
    rc.tls_cert_file = f.wire_tls_cert;
    rc.tls_key_file = f.wire_tls_key;
    rc.insecure = f.wire_insecure;
    rc.placement = pool.config.placement;
    rc.max_stale_replacements = f.stale_replacements;
    rc.spin_us = f.wire_spin_us;
    rc.own_read_us = f.own_read_us;
    rc.own_read_spin_us = f.own_read_spin_us;
    rc.binary_frames = f.wire_binary_frames == "on";
    rc.libraries = libraries;
    rc.library_plan = f.library_plan;
    rc.library_plan_kb = f.library_plan_mb * 1024;
    if (!net::wire::is_loopback(f.wire_address) && f.wire_tls_cert.empty() && f.wire_insecure)
      std::fprintf(stderr, "hearth up: --wire-insecure: the wire on %s is authenticated but not encrypted: code, "
                   "parameters and results cross it in clear text (docs/wire-protocol.md)\n",
                   f.wire_address.c_str());
    rc.unix_path = wire_socket_path(f.wire_socket, data, "hearth up");
    remote = std::make_unique<controller::RemoteDispatcher>(rc);
    const std::string wire = f.wire_address + ":" + std::to_string(remote->port());
    // This host's invokers join on the Unix socket (no TLS: it never leaves the host), else over TCP.
    const std::string own_wire = rc.unix_path.empty() ? wire : "unix:" + rc.unix_path;
    for (int i = 0; i < f.invokers; ++i) {
      std::vector<std::string> args = {"invoker", "--controller", own_wire, "--name", "invoker" + std::to_string(i),
                                       "--data-dir", (data / ("invoker" + std::to_string(i))).string(),
                                       "--token-file", token_file, "--exit-with-controller"};
      if (!f.wire_tls_cert.empty() && rc.unix_path.empty())  // the controller's own certificate as the CA: pinned
        args.insert(args.end(), {"--wire-tls-ca", std::filesystem::absolute(f.wire_tls_cert).string()});
      if (!f.wire_tls_name.empty() && rc.unix_path.empty()) args.insert(args.end(), {"--wire-tls-name", f.wire_tls_name});
      PoolFlags own = f.pool;  // invokers on one host: each its own share of the subnet (own bridge, no overlap)
      own.network_subnet = net::split_subnet(f.pool.network_subnet, i, f.invokers);
      for (const std::string& a : invoker_args(own)) args.push_back(a);
      args.insert(args.end(), {"--cpu-wake-latency-us", "off"});  // this host's hold is the controller's
      children.spawn("invoker" + std::to_string(i), args, signals);
    }
    const int up = remote->wait_for_invokers(f.invokers, 15'000);
    if (up < f.invokers)
      throw std::runtime_error("only " + std::to_string(up) + " of " + std::to_string(f.invokers) +
                               " invokers joined within 15 s (see their messages above)");
    topology = std::to_string(f.invokers) + " invoker process(es), wire " + wire +
               (rc.unix_path.empty() ? "" : " and unix:" + rc.unix_path);
    if (f.restart_invokers) children.supervise();
  }
  invoker::Dispatcher& dispatcher = local ? static_cast<invoker::Dispatcher&>(*local) : *remote;
  controller::ApiConfig api_config;
  api_config.max_payload_bytes = f.max_payload_bytes;
  api_config.max_in_flight = f.max_in_flight;
  api_config.libraries = libraries;
  api_config.freshen_chains = f.pool.freshen == "on";  // and the invokers' predicted-arrival hooks (pool flags)
  api_config.freshen_timeout_ms = f.pool.freshen_timeout_ms;
  api_config.answer_log = answer_log ? &*answer_log : nullptr;
  const std::unique_ptr<net::CpuWakeLatencyHold> wake_latency = make_wake_latency_hold(f.wake_latency, "hearth up");
  api_config.wake_latency = wake_latency.get();
  controller::Api api(store, dispatcher, api_config);
  api.set_metrics_source([&] {
    return (local ? local->prometheus_metrics() : remote->prometheus_metrics()) + store.prometheus_metrics() +
           (api_config.wake_latency ? api_config.wake_latency->prometheus_metrics() : std::string());
  });
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
  ActivationPruner pruner(store, retention);
  net::HttpServer server(api, http);
  std::printf("hearth up: http://%s:%u  (placement %s, keep-alive %s, prewarm %s, scheduler %s, pool manager %s, "
              "%s of %lld MB, %s)\n",
              f.address.c_str(), server.port(), pool.config.placement.c_str(), pool.config.keepalive.c_str(),
              pool.config.prewarm.c_str(), pool.config.scheduler.c_str(), pool.config.pool_manager.c_str(), topology.c_str(), static_cast<long long>(pool.config.invoker_memory_mb),
              (pool.sandboxed ? pool.sandbox_mode : "NOT sandboxed: " + pool.why_not_sandboxed).c_str());
  std::printf("export HEARTH_APIHOST=%s:%u HEARTH_AUTH=%s\n", f.address.c_str(), server.port(), guest.pair().c_str());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&signals, &sig);
  // Drain: no new connections; what runs may finish until the drain timeout, whatever functions do.
  const auto drain_until = std::chrono::steady_clock::now() + std::chrono::microseconds(drain);
  std::printf("hearth up: stopping (drain timeout %s)\n", f.drain_timeout.c_str());
  std::fflush(stdout);
  server.stop(drain_until);  // blocking invokes answered by then get their responses
  const bool drained = api.in_flight().wait_idle(drain_until);  // non-blocking ones recorded by then too
  const std::string why = "Hearth was stopped and its drain timeout (" + f.drain_timeout + ") passed before this activation ended.";
  if (!drained) std::fprintf(stderr, "hearth up: the drain timeout passed with activations still running: recorded as ended by shutdown\n");
  // The controller lets go of the invokers first (what still runs ends with `why`), then they are stopped
  // (SIGTERM; SIGKILL 3 s later if a function still holds one).
  if (remote) remote->stop(why);
  children.terminate();
  if (local) local->stop();  // in-process invokers: a running function is waited for (its own time limit)
  // Anything accepted and still without a record is recorded as ended by this stop.
  store.end_unfinished(why, net::wall_us());
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
  cmd->add_option("--wire-tls-cert", f->wire_tls_cert,
                  "TLS on the wire: the controller's certificate chain (PEM); required with a --wire-address other "
                  "than loopback (docs/wire-protocol.md)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--wire-tls-key", f->wire_tls_key, "TLS on the wire: the controller's private key (PEM)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--wire-tls-name", f->wire_tls_name,
                  "TLS: the name (DNS or IP) the invokers started here verify in the certificate (default: "
                  "--wire-address, which they connect to)");
  cmd->add_flag("--wire-insecure", f->wire_insecure,
                "Allow a --wire-address other than loopback without TLS (code and results in clear text)");
  cmd->add_option("--wire-socket", f->wire_socket,
                  "The Unix socket the invokers started here join on (default DATA_DIR/wire.sock, mode 0600; its "
                  "directory must let only you in); off: they join over TCP on --wire-port like remote ones");
  add_wake_latency_flags(*cmd, f->wake_latency);
  cmd->add_option("--max-payload-bytes", f->max_payload_bytes, "Invocation payload limit (413 above)");
  cmd->add_option("--library-repo", f->library_repo,
                  "Library repository: a directory of .deb files and their manifest.json (scripts/library-repo; "
                  "scripts/setup builds build/libraries); actions may then declare libraries (--lib)");
  cmd->add_option("--library-plan", f->library_plan,
                  "Libraries each invoker process prepares before its functions need them (docs/scorpius.md "
                  "\"Live\"): none (reactively at cold starts), sock (the whole repository everywhere), scorpius "
                  "(Algorithm 1 over the functions dispatched so far), hot, random; with --placement scorpius "
                  "functions go where their libraries are prepared")
      ->check(CLI::IsMember({"none", "sock", "scorpius", "hot", "random"}));
  cmd->add_option("--library-plan-mb", f->library_plan_mb, "Each invoker's budget for planned libraries, MB (installed size)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 20));
  cmd->add_option("--stale-replacements", f->stale_replacements,
                  "Times an invocation an invoker answers stale (no idle container left) is placed again; 0: never "
                  "expect warm starts")
      ->check(CLI::Range(0, 16));
  cmd->add_option("--wire-spin-us", f->wire_spin_us,
                  "At most this long (µs) the controller's reader of an invoker's connection polls for the next frame "
                  "without blocking while invocations are in flight there, if recent results came quickly "
                  "(docs/warm-path.md); 0 (the default): it sleeps at once")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{10'000}));
  cmd->add_option("--own-read-us", f->own_read_us,
                  "A blocking invoke sent while nothing else is in flight on its invoker's connection reads its own "
                  "result on the HTTP I/O thread for at most this long (µs), instead of a hand-off from the "
                  "connection's reader thread (docs/warm-path.md); 0: the reader thread reads every result")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{100'000}))
      ->capture_default_str();
  cmd->add_option("--own-read-spin-us", f->own_read_spin_us,
                  "Of --own-read-us, at most this long (µs) polls without blocking, if recent results came that "
                  "quickly (net/adaptive_spin.h); 0: it sleeps at once")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{100'000}))
      ->capture_default_str();
  cmd->add_option("--answer-log", f->answer_log,
                  "on (the default): a blocking invoke is answered once its activation record is in DATA_DIR/answers.log "
                  "(a file mapped in memory: it survives a kill of the controller), before the record's SQLite commit, "
                  "and the next start stores what the log still holds (docs/warm-path.md); off: answered after the commit")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  cmd->add_option("--wire-binary-frames", f->wire_binary_frames,
                  "Warm invokes and their results cross the wire in a fixed binary layout with invokers that read it "
                  "(docs/wire-protocol.md, \"Binary frames\"); off: JSON only")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  cmd->add_option("--activation-retention", f->activation_retention,
                  "Delete activation records older than this (e.g. 7d, 12h; 0 keeps them for ever)")
      ->capture_default_str();
  cmd->add_option("--idle-timeout", f->idle_timeout, "Close a keep-alive HTTP connection idle this long")
      ->capture_default_str();
  cmd->add_option("--header-timeout", f->header_timeout,
                  "Close an HTTP connection whose request header takes longer than this to arrive")
      ->capture_default_str();
  cmd->add_option("--max-connections", f->max_connections, "Open HTTP connections; past it a new one gets 503")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--drain-timeout", f->drain_timeout,
                  "On SIGTERM/SIGINT, how long running activations may finish before they are recorded as ended by "
                  "the shutdown and the process exits (e.g. 30s, 500ms)")
      ->capture_default_str();
  cmd->add_option("--max-in-flight", f->max_in_flight,
                  "Invocations per namespace accepted and not yet ended (running or queued); past it the API answers "
                  "429 \"Too many concurrent requests in flight\" (OpenWhisk's throttle; 0: no bound)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40))
      ->capture_default_str();
  cmd->add_flag("!--no-invoker-restart", f->restart_invokers,
                "Do not start again an invoker process that dies (by default it is restarted, with a backoff)");
  add_pool_flags(*cmd, f->pool);
  return [f] {
    return run_reporting_errors("hearth up", [&] { return run(*f); });
  };
}

}  // namespace hearth::cli
