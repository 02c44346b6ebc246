// Warm and cold paths of the live platform, against the naive reference in the same run.
//   build/runtime_bench
// - RuntimeWarm/<lang>: one run on an initialised persistent runtime (pipe round trip + runtime work).
// - PlatformWarmNativeNoop: a blocking invoke of a native no-op through HTTP on loopback, the REST API,
//   the SQLite store and the invoker pool (client-observed latency; p50/p99 counters).
// - PythonColdStart/plain|sandboxed|sandboxed_pooled: start the interpreter + init + first run, as a plain
//   child process, in a fresh sandbox, and in a sandbox from a pre-attached SandboxPool shell
//   and inside a sandbox (namespaces, new root, seccomp, cgroups): the sandbox's share of a cold start.
// - ZygoteColdStart/<hello|numpy>_<sandboxed_pooled|zygote>: a sandboxed Python cold start (sandbox +
//   init with the function's inline source + first run) of a hello function and of one importing numpy
//   (Debian's python3-numpy), from a pooled sandbox shell (a new interpreter) against a fork of a zygote
//   holding the function's libraries (runtime/python_zygote.h; the empty set for hello), same run. Forks
//   are parked and shells pooled between iterations, outside the measured time (isolated cold starts).
// - PythonScaleUp/worker|new_runtime: one more concurrent executor for an initialised Python function:
//   add_workers (a fork of the initialised runtime, HyperFaaS's phase 1) and its first run on the new
//   worker, against starting a new runtime + init + first run (a cold start) in the same run.
// - LiveBurst/hyperfaas|none: a LocalDispatcher (1 invoker, 8 threads, real Python runtimes) with one
//   warm container of a function gets 8 invocations at once; the time until all 8 are answered, under
//   `--scaling hyperfaas` (phase 1 forks workers into the warm container) against none (OpenWhisk: 7 cold
//   starts) in the same run.
// - LiveFirstInvoke/shared|cold: under hyperfaas scaling with a warm container of function A, the first
//   invocation of function B: with --share-containers it borrows a worker of A's container (a fork plus
//   loading B's code), without it B cold-starts a runtime of its own; same run.
// - SeccompProfileLoad/compile_and_load|precompiled: installing the sandbox's seccomp allow list
//   (sandbox/seccomp_profile.h), timed inside a forked child (a filter cannot be unloaded): compiled by
//   libseccomp in the child, against compiled once in this process before the forks (what Sandbox does).
// - NaiveProcessPerRequest: one fresh `python3` per request running the function once (OpenFaaS's
//   classic forking watchdog); the ratio to RuntimeWarm/python is the issue's "≥ 50× faster" check.
#include <benchmark/benchmark.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <vector>

#include "controller/api.h"
#include "controller/store.h"
#include "net/base64.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "invoker/local_dispatcher.h"
#include "invoker/runtime_container_factory.h"
#include "runtime/python_zygote.h"
#include "runtime/runtime_process.h"
#include "sandbox/seccomp_profile.h"

namespace {

using namespace hearth;

struct CodeDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("hearth_bench_" + std::to_string(getpid()));
  CodeDir() {
    std::filesystem::create_directories(path);
    std::ofstream(path / "noop.py") << "def main(args):\n    return args\n";
    std::ofstream(path / "noop.js") << "function main(params) { return params; }\n";
  }
  ~CodeDir() { std::filesystem::remove_all(path); }
};

void counters(benchmark::State& state, std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
}

// One iteration's timed part: runs `body` (true on success) and records its duration; then `teardown`
// (untimed). False, after SkipWithError(`what`), if the body failed.
template <class Body, class Teardown>
bool timed(benchmark::State& state, std::vector<double>& us, Body body, Teardown teardown, const char* what) {
  const auto start = std::chrono::steady_clock::now();
  const bool ok = body();
  us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  state.PauseTiming();
  teardown();
  state.ResumeTiming();
  if (!ok) state.SkipWithError(what);
  return ok;
}

void RuntimeWarm(benchmark::State& state, runtime::Language lang) {
  CodeDir dir;
  runtime::RuntimeProcess p(lang);
  const std::string code = lang == runtime::Language::kPython   ? (dir.path / "noop.py").string()
                           : lang == runtime::Language::kNodejs ? (dir.path / "noop.js").string()
                                                                : std::string(HEARTH_NATIVE_NOOP);
  if (!p.init(code, "main", 10000).ok) {
    state.SkipWithError("init failed");
    return;
  }
  std::vector<double> us;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const auto r = p.run("{}", 10000);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    if (!r.ok) state.SkipWithError("run failed");
  }
  counters(state, us);
}

// mode: "plain" (a child process), "sandboxed" (fork + cgroup attach + namespaces + root + seccomp) or
// "pooled" (the same sandbox from a SandboxPool shell already in its cgroup; the pool is refilled
// between iterations, outside the measured time: this is an isolated cold start, not a burst).
// Per-phase p50s: sandbox = the RuntimeProcess constructor (the runtime process exists), init = the
// interpreter's start + the code's load (answered once Python is up), run = the first invocation.
void PythonColdStart(benchmark::State& state, const std::string& mode) {
  CodeDir dir;
  std::string why;
  const bool sandboxed = mode != "plain";
  if (sandboxed && !sandbox::Sandbox::supported(&why)) {
    state.SkipWithError(("sandboxes unsupported: " + why).c_str());
    return;
  }
  std::filesystem::permissions(dir.path, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                             std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                             std::filesystem::perms::others_exec);
  std::unique_ptr<sandbox::SandboxPool> pool;
  if (mode == "pooled") pool = std::make_unique<sandbox::SandboxPool>("bench-pool-" + std::to_string(getpid()), 2);
  std::vector<double> us, sandbox_us, init_us, run_us;
  int n = 0;
  for (auto _ : state) {
    if (pool) {
      state.PauseTiming();
      pool->wait_ready(1, 5000);
      state.ResumeTiming();
    }
    runtime::ProcessOptions options;
    options.sandboxed = sandboxed;
    options.pool = pool.get();
    options.name = "bench-" + std::to_string(getpid()) + "-" + std::to_string(n++);
    options.read_only_paths = {dir.path.string()};
    const auto start = std::chrono::steady_clock::now();
    runtime::RuntimeProcess p(runtime::Language::kPython, options);
    const auto started = std::chrono::steady_clock::now();
    const bool init_ok = p.init((dir.path / "noop.py").string(), "main", 10000).ok;
    const auto initialised = std::chrono::steady_clock::now();
    const bool ok = init_ok && p.run("{}", 10000).ok;
    const auto done = std::chrono::steady_clock::now();
    using ms = std::chrono::duration<double, std::micro>;
    us.push_back(ms(done - start).count());
    sandbox_us.push_back(ms(started - start).count());
    init_us.push_back(ms(initialised - started).count());
    run_us.push_back(ms(done - initialised).count());
    if (!ok) state.SkipWithError("cold start failed");
  }
  counters(state, us);
  const auto p50 = [](std::vector<double>& v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  state.counters["sandbox_p50_us"] = p50(sandbox_us);
  state.counters["init_p50_us"] = p50(init_us);
  state.counters["run_p50_us"] = p50(run_us);
  if (pool) state.counters["pool_misses"] = static_cast<double>(pool->misses());
}

// Debian's python3-* libraries (numpy's libblas.so.3 links through /etc/alternatives, which every sandbox shows).
constexpr const char* kDistPackages = "/usr/lib/python3/dist-packages";

void ZygoteColdStart(benchmark::State& state, const std::string& function, bool zygote) {
  std::string why;
  if (!sandbox::Sandbox::supported(&why)) {
    state.SkipWithError(("sandboxes unsupported: " + why).c_str());
    return;
  }
  const bool numpy = function == "numpy";
  const std::string code =
      numpy ? std::string("import sys\nsys.path.insert(0, '") + kDistPackages +
                  "')\nimport numpy\ndef main(a):\n    return {'sum': int(numpy.arange(a.get('n', 10)).sum())}\n"
            : "def main(a):\n    return {'greeting': 'Hello, ' + a.get('name', 'world')}\n";
  const std::string prefix = "hearth-" + std::to_string(getpid()) + "-bench-" + function;
  std::unique_ptr<sandbox::SandboxPool> pool;
  std::shared_ptr<runtime::PythonZygote> z;
  try {
    if (zygote) {
      runtime::ZygoteOptions o;
      o.name = prefix + "-zygote";
      if (numpy) o.sys_path = {kDistPackages}, o.imports = {"numpy"};
      z = runtime::PythonZygote::start(o);
    } else {
      pool = std::make_unique<sandbox::SandboxPool>(prefix + "-pool", 2);
    }
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  std::vector<double> us, sandbox_us;
  int n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (pool) pool->wait_ready(1, 5000);
    if (z) z->prepare(1);
    state.ResumeTiming();
    runtime::ProcessOptions options;
    options.sandboxed = true;
    options.pool = pool.get();
    options.zygote = z;
    options.name = prefix + "-" + std::to_string(n++);
    const auto start = std::chrono::steady_clock::now();
    std::unique_ptr<runtime::RuntimeProcess> p;
    try {
      p = std::make_unique<runtime::RuntimeProcess>(runtime::Language::kPython, options);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      break;
    }
    const auto started = std::chrono::steady_clock::now();
    const auto init = p->init_source(code, "main", 10000);
    const auto r = init.ok ? p->run(R"({"n": 100})", 10000) : init;
    const auto done = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(done - start).count());
    sandbox_us.push_back(std::chrono::duration<double, std::micro>(started - start).count());
    if (!r.ok) {
      state.SkipWithError(("cold start failed: " + r.error).c_str());
      break;
    }
    state.PauseTiming();
    p.reset();
    state.ResumeTiming();
  }
  if (us.empty()) return;
  counters(state, us);
  std::sort(sandbox_us.begin(), sandbox_us.end());
  state.counters["sandbox_p50_us"] = sandbox_us[sandbox_us.size() / 2];
}

void PythonScaleUp(benchmark::State& state, bool worker) {
  CodeDir dir;
  const std::string code = (dir.path / "noop.py").string();
  std::vector<double> us;
  for (auto _ : state) {
    state.PauseTiming();
    runtime::ProcessOptions options;
    options.max_workers = 2;
    auto base = std::make_unique<runtime::RuntimeProcess>(runtime::Language::kPython, options);
    if (!base->init(code, "main", 10000).ok || !base->add_workers(1, 10000).ok || !base->run("{}", 10000, 1).ok) {
      state.SkipWithError("runtime failed");
      return;
    }
    state.ResumeTiming();
    const auto body = [&] {
      if (worker) return base->add_workers(2, 10000).ok && base->run("{}", 10000, 2).ok;
      runtime::RuntimeProcess fresh(runtime::Language::kPython);
      return fresh.init(code, "main", 10000).ok && fresh.run("{}", 10000).ok;
    };
    if (!timed(state, us, body, [&] { base.reset(); }, "scale-up failed")) return;
  }
  counters(state, us);
}

void SeccompProfileLoad(benchmark::State& state, bool precompiled) {
  if (precompiled && sandbox::prepare_seccomp_profile() != 0) {
    state.SkipWithError("cannot compile the profile");
    return;
  }
  std::vector<double> us;
  for (auto _ : state) {
    int p[2];
    if (pipe(p) != 0) {
      state.SkipWithError("pipe");
      break;
    }
    const pid_t child = fork();
    if (child == 0) {
      const auto start = std::chrono::steady_clock::now();
      const int rc = sandbox::install_seccomp_profile(/*fresh=*/!precompiled);
      const double took = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
      const double out = rc == 0 ? took : -1;
      _exit(write(p[1], &out, sizeof out) == sizeof out ? 0 : 1);
    }
    close(p[1]);
    double took = -1;
    const bool got = read(p[0], &took, sizeof took) == sizeof took;
    close(p[0]);
    waitpid(child, nullptr, 0);
    if (!got || took < 0) {
      state.SkipWithError("loading the profile failed");
      break;
    }
    us.push_back(took);
    state.SetIterationTime(took / 1e6);
  }
  if (!us.empty()) counters(state, us);
}

void NaiveProcessPerRequest(benchmark::State& state) {
  CodeDir dir;
  const std::string script = "import json,sys; exec(open('" + (dir.path / "noop.py").string() +
                             "').read()); print(json.dumps(main(json.loads('{}'))))";
  std::vector<double> us;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
      freopen("/dev/null", "w", stdout);
      execl("/usr/bin/python3", "python3", "-c", script.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) state.SkipWithError("python3 failed");
  }
  counters(state, us);
}

void PlatformWarmNativeNoop(benchmark::State& state) {
  CodeDir dir;
  controller::Store store(":memory:");
  store.put_namespace("guest", "uuid", "key");
  std::ifstream so(HEARTH_NATIVE_NOOP, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(so)), {});
  const std::string b64 = net::base64_encode(bytes);
  net::ActionRecord a{"guest", "noop", "native", b64};
  store.put_action(a, false);
  invoker::RuntimeContainerFactory factory(dir.path.string(), /*sandboxed=*/false);
  invoker::LocalDispatcherConfig dc;
  dc.keepalive = "ttl:10m";
  invoker::LocalDispatcher dispatcher(factory, dc);
  controller::Api api(store, dispatcher);
  net::HttpServer server(api, net::HttpServerConfig{});
  net::HttpClient client("127.0.0.1", server.port());
  const net::HttpRequest req{"POST", "/api/v1/namespaces/_/actions/noop?blocking=true&result=true",
                              net::basic_auth("uuid", "key"), "{}"};
  client.send(req);  // the cold start
  std::vector<double> us;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const auto r = client.send(req);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    if (r.status != 200) state.SkipWithError("invoke failed");
  }
  counters(state, us);
}

void LiveBurst(benchmark::State& state, const std::string& scaling) {
  CodeDir dir;
  net::ActionRecord a{"guest", "noop", "python:3", "def main(args):\n    return args\n"};
  constexpr int kBurst = 8;
  std::vector<double> us;
  for (auto _ : state) {
    state.PauseTiming();
    invoker::RuntimeContainerFactory factory((dir.path / "code").string(), /*sandboxed=*/false, 0);
    invoker::LocalDispatcherConfig dc;
    dc.keepalive = "ttl:10m";
    dc.scaling = scaling;
    dc.max_workers = kBurst;
    auto dispatcher = std::make_unique<invoker::LocalDispatcher>(factory, dc);
    auto invoke_all = [&](int n) {
      std::vector<std::future<net::ActivationRecord>> done;
      for (int i = 0; i < n; ++i) {
        auto p = std::make_shared<std::promise<net::ActivationRecord>>();
        done.push_back(p->get_future());
        dispatcher->dispatch(net::InvocationRequest{a, "{}", "b", 0}, [p](net::ActivationRecord r) { p->set_value(std::move(r)); });
      }
      bool ok = true;
      for (auto& f : done) ok &= f.get().status == "success";
      return ok;
    };
    if (!invoke_all(1)) {  // the warm container
      state.SkipWithError("warm-up failed");
      return;
    }
    state.ResumeTiming();
    if (!timed(state, us, [&] { return invoke_all(kBurst); }, [&] { dispatcher.reset(); }, "burst failed")) return;
  }
  counters(state, us);
}

void LiveFirstInvoke(benchmark::State& state, bool share) {
  CodeDir dir;
  std::vector<double> us;
  for (auto _ : state) {
    state.PauseTiming();
    invoker::RuntimeContainerFactory factory((dir.path / "code").string(), /*sandboxed=*/false, 0);
    invoker::LocalDispatcherConfig dc;
    dc.keepalive = "ttl:10m";
    dc.scaling = "hyperfaas:slots=1,max_slots=4";
    dc.share_containers = share;
    dc.max_workers = 4;
    auto dispatcher = std::make_unique<invoker::LocalDispatcher>(factory, dc);
    auto invoke = [&](const char* name) {
      net::ActionRecord a{"guest", name, "python:3", "def main(args):\n    return args\n"};
      std::promise<net::ActivationRecord> p;
      dispatcher->dispatch(net::InvocationRequest{a, "{}", name, 0}, [&p](net::ActivationRecord r) { p.set_value(std::move(r)); });
      return p.get_future().get().status == "success";
    };
    const bool warm = invoke("a");
    state.ResumeTiming();
    if (!timed(state, us, [&] { return warm && invoke("b"); }, [&] { dispatcher.reset(); }, "invoke failed")) return;
  }
  counters(state, us);
}

}  // namespace

BENCHMARK_CAPTURE(RuntimeWarm, native, runtime::Language::kNative)->Iterations(20000)->UseRealTime();
BENCHMARK_CAPTURE(RuntimeWarm, python, runtime::Language::kPython)->Iterations(20000)->UseRealTime();
BENCHMARK_CAPTURE(RuntimeWarm, nodejs, runtime::Language::kNodejs)->Iterations(20000)->UseRealTime();
BENCHMARK(PlatformWarmNativeNoop)->Iterations(10000)->UseRealTime();
BENCHMARK_CAPTURE(PythonColdStart, plain, std::string("plain"))->Iterations(50)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(PythonColdStart, sandboxed, std::string("sandboxed"))->Iterations(50)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(PythonColdStart, sandboxed_pooled, std::string("pooled"))->Iterations(50)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(ZygoteColdStart, hello_sandboxed_pooled, std::string("hello"), false)->Iterations(50)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(ZygoteColdStart, hello_zygote, std::string("hello"), true)->Iterations(50)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(ZygoteColdStart, numpy_sandboxed_pooled, std::string("numpy"), false)->Iterations(50)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(ZygoteColdStart, numpy_zygote, std::string("numpy"), true)->Iterations(50)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(PythonScaleUp, worker, true)->Iterations(50)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(PythonScaleUp, new_runtime, false)->Iterations(50)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(LiveBurst, hyperfaas, std::string("hyperfaas:slots=1,max_slots=8"))->Iterations(30)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(LiveBurst, none, std::string("none"))->Iterations(30)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(LiveFirstInvoke, shared, true)->Iterations(30)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(LiveFirstInvoke, cold, false)->Iterations(30)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(SeccompProfileLoad, compile_and_load, false)->Iterations(200)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(SeccompProfileLoad, precompiled, true)->Iterations(200)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(NaiveProcessPerRequest)->Iterations(50)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
