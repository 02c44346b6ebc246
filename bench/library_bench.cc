// Preparing a library on a node, and what it does to a cold start (docs/libraries.md). Needs the library
// repository scripts/setup builds (build/libraries; another with HEARTH_LIBRARY_REPO=DIR).
//   build/library_bench
// - LibraryPrepare/<library>: one library into an empty node cache, the live path: the .deb fetched from
//   a real controller (RemoteDispatcher with the repository) by a real invoker (InvokerAgent) over the
//   authenticated wire on loopback, its SHA-256 verified, unpacked (dpkg-deb + the checked tar reader).
//   Counters: fetch_ms, verify_ms, unpack_ms, compile_ms (means per preparation), deb_MB, unpacked_MB
//   (unpacked with its bytecode).
// - NumpyColdStart/unprepared|cached|no_library: a sandboxed Python cold start (sandbox + interpreter +
//   init + first run) of a function that imports numpy and returns a sum it computes: with numpy (and
//   its closure) not on the node yet (the start prepares it, fetched over the wire), with it in the
//   node's cache, and a function importing nothing (the plain cold start), in the same run.
// - ZygoteSetStart/root|child: starting the zygote of {numpy, pil} (docs/zygotes.md, the tree) as a root
//   (an interpreter in a new sandbox importing numpy and PIL) against forking it from a running {numpy}
//   zygote (PythonZygote::extend: PIL imported in the fork), same run; libraries from the node's cache.
// - TreeColdStart/exact|subset|plain: a cold start (sandbox + init with inline source + first run) of a
//   function declaring {numpy, yaml}: a parked fork of the {numpy, yaml} zygote; a fork of the {numpy}
//   zygote showing yaml's paths too (forked on demand: the cgroup attach and the build on the path) that
//   imports yaml itself; a new interpreter in a pooled sandbox shell importing both; same run.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <tuple>

#include "controller/library_repository.h"
#include "controller/remote_dispatcher.h"
#include "invoker/invoker_agent.h"
#include "invoker/library_cache.h"
#include "invoker/runtime_container_factory.h"
#include "runtime/python_zygote.h"
#include "runtime/runtime_process.h"
#include "sandbox/sandbox_pool.h"
#include "net/wire_auth.h"
#include "sandbox/sandbox.h"

namespace {

using namespace hearth;
namespace fs = std::filesystem;

std::string repo_dir() {
  if (const char* d = std::getenv("HEARTH_LIBRARY_REPO")) return d;
  return HEARTH_LIBRARY_REPO;
}

// A controller with the repository and one invoker agent joined to it over loopback; fetch() is the
// invoker's wire fetch.
struct Wire {
  std::shared_ptr<const controller::LibraryRepository> repo;
  std::unique_ptr<controller::RemoteDispatcher> controller;
  std::unique_ptr<invoker::RuntimeContainerFactory> factory;
  std::unique_ptr<invoker::InvokerAgent> agent;
  std::thread serving;
  fs::path tmp;

  Wire() {
    tmp = fs::temp_directory_path() / ("hearth_library_bench_" + std::to_string(getpid()));
    fs::create_directories(tmp);
    repo = std::make_shared<const controller::LibraryRepository>(repo_dir());
    controller::RemoteDispatcherConfig rc;
    rc.token = net::wire::new_token();
    rc.libraries = repo;
    controller = std::make_unique<controller::RemoteDispatcher>(rc);
    factory = std::make_unique<invoker::RuntimeContainerFactory>((tmp / "code").string(), false, 0);
    invoker::InvokerAgentConfig ac;
    ac.controller = "127.0.0.1:" + std::to_string(controller->port());
    ac.token = rc.token;
    agent = std::make_unique<invoker::InvokerAgent>(*factory, ac);
    serving = std::thread([this] { agent->serve(); });
  }
  ~Wire() {
    agent->stop();
    serving.join();
    agent.reset();
    controller->stop();
    controller.reset();
    std::error_code ec;
    fs::remove_all(tmp, ec);
  }
  invoker::LibraryCache::Fetcher fetcher() {
    return [this](const net::LibraryRef& ref) { return agent->fetch_library(ref); };
  }
};

Wire& wire() {
  static Wire w;
  return w;
}

bool have_repo(benchmark::State& state) {
  if (fs::exists(repo_dir() + "/manifest.json")) return true;
  state.SkipWithError(("no library repository at " + repo_dir() + " (scripts/library-repo)").c_str());
  return false;
}

void LibraryPrepare(benchmark::State& state, const std::string& name) {
  if (!have_repo(state)) return;
  Wire& w = wire();
  const controller::LibraryRepository::Library* lib = w.repo->find(name);
  if (!lib) {
    state.SkipWithError(("no library " + name + " in the repository").c_str());
    return;
  }
  const net::LibraryRef ref{lib->name, lib->sha256, lib->bytes};
  invoker::LibraryCache::Phases total;
  for (auto _ : state) {
    state.PauseTiming();
    auto cache = std::make_unique<invoker::LibraryCache>((w.tmp / "cache").string(), std::int64_t{4} << 30);  // empty
    cache->set_fetcher(w.fetcher());
    state.ResumeTiming();
    invoker::LibraryCache::Phases p;
    cache->acquire({ref}, &p);
    state.PauseTiming();
    total.fetch_us += p.fetch_us, total.verify_us += p.verify_us, total.unpack_us += p.unpack_us, total.compile_us += p.compile_us;
    total.fetched_bytes = p.fetched_bytes, total.unpacked_bytes = p.unpacked_bytes;
    cache.reset();
    state.ResumeTiming();
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["fetch_ms"] = static_cast<double>(total.fetch_us) / n / 1000;
  state.counters["verify_ms"] = static_cast<double>(total.verify_us) / n / 1000;
  state.counters["unpack_ms"] = static_cast<double>(total.unpack_us) / n / 1000;
  state.counters["compile_ms"] = static_cast<double>(total.compile_us) / n / 1000;
  state.counters["deb_MB"] = static_cast<double>(total.fetched_bytes) / 1e6;
  state.counters["unpacked_MB"] = static_cast<double>(total.unpacked_bytes) / 1e6;
}

void NumpyColdStart(benchmark::State& state, const std::string& mode) {
  if (!have_repo(state)) return;
  std::string why;
  if (!sandbox::Sandbox::supported(&why)) {
    state.SkipWithError(("cannot sandbox here: " + why).c_str());
    return;
  }
  Wire& w = wire();
  invoker::RuntimeContainerFactory factory((w.tmp / "bench_code").string(), true);
  net::ActionRecord action;
  action.ns = "bench";
  action.name = "np_" + mode;
  action.kind = "python:3";
  action.memory_mb = 512;
  action.revision = 1;
  if (mode == "no_library") {
    action.code = "def main(a):\n    return {'sum': sum(range(10))}\n";
  } else {
    action.code = "import numpy\ndef main(a):\n    return {'sum': int(numpy.arange(10).sum())}\n";
    action.libraries = {"numpy"};
    action.library_refs = w.repo->resolve(action.libraries);
  }
  auto cache = std::make_unique<invoker::LibraryCache>((w.tmp / "cold_cache").string(), std::int64_t{4} << 30);
  cache->set_fetcher(w.fetcher());
  factory.set_library_cache(cache.get());
  if (mode == "cached") cache->acquire(action.library_refs);  // prepared before the measured starts
  std::vector<double> ms;
  for (auto _ : state) {
    if (mode == "unprepared") {
      state.PauseTiming();
      factory.set_library_cache(nullptr);
      cache.reset();  // (the old cache removes its directory when it goes)
      cache = std::make_unique<invoker::LibraryCache>((w.tmp / "cold_cache").string(), std::int64_t{4} << 30);  // empty
      cache->set_fetcher(w.fetcher());
      factory.set_library_cache(cache.get());
      state.ResumeTiming();
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::int64_t init_us = 0;
    std::string error;
    auto c = factory.create(action, &init_us, &error);
    if (!c) {
      state.SkipWithError(("cold start failed: " + error).c_str());
      break;
    }
    const invoker::RunOutcome out = c->run("{}", 10'000);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (out.status != "success" || out.result_json.find("45") == std::string::npos) {
      state.SkipWithError(("the function did not compute its sum: " + out.result_json).c_str());
      break;
    }
    state.PauseTiming();
    c.reset();  // the container goes; its libraries stay cached
    state.ResumeTiming();
  }
  std::sort(ms.begin(), ms.end());
  if (!ms.empty()) {
    state.counters["p50_ms"] = ms[ms.size() / 2];
    state.counters["p90_ms"] = ms[ms.size() * 9 / 10];
  }
  factory.set_library_cache(nullptr);
}


// A node cache holding the repository's libraries, read straight from it (no wire), for the zygote benches.
struct TreeCache {
  fs::path dir;
  std::unique_ptr<controller::LibraryRepository> repo;
  std::unique_ptr<invoker::LibraryCache> cache;
  TreeCache() {
    dir = fs::temp_directory_path() / ("hearth_tree_bench_" + std::to_string(getpid()));
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                             fs::perms::others_exec);
    repo = std::make_unique<controller::LibraryRepository>(repo_dir());
    cache = std::make_unique<invoker::LibraryCache>((dir / "cache").string(), std::int64_t{4} << 30);
    cache->set_fetcher([this](const net::LibraryRef& ref) { return *repo->read(ref.sha256); });
  }
  ~TreeCache() {
    cache.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  // A zygote of `names` as the pool starts one: a root (view: the cache) or a child of `parent`.
  std::pair<std::shared_ptr<runtime::PythonZygote>, std::unique_ptr<invoker::LibraryCache::Lease>> zygote(
      const std::vector<std::string>& names, const std::vector<std::string>& imports,
      const std::shared_ptr<runtime::PythonZygote>& parent, const std::string& name) {
    auto lease = cache->acquire(repo->resolve(names));
    if (parent) return {parent->extend(lease->python_paths(), imports, lease->roots()), std::move(lease)};
    runtime::ZygoteOptions o;
    o.name = name;
    o.sys_path = lease->python_paths();
    o.read_only_paths = lease->roots();
    o.view_paths = {cache->dir()};
    o.imports = imports;
    o.limits.memory_mb = 2048;
    return {runtime::PythonZygote::start(o), std::move(lease)};
  }
};

void ZygoteSetStart(benchmark::State& state, bool child) {
  if (!have_repo(state)) return;
  TreeCache t;
  const std::string prefix = "hearth-" + std::to_string(getpid()) + "-treeb";
  std::shared_ptr<runtime::PythonZygote> numpy;
  std::unique_ptr<invoker::LibraryCache::Lease> numpy_lease;
  if (child) std::tie(numpy, numpy_lease) = t.zygote({"numpy"}, {"numpy"}, nullptr, prefix + "-np");
  std::vector<double> ms;
  int n = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto z = child ? t.zygote({"numpy", "pil"}, {"PIL"}, numpy, "")
                   : t.zygote({"numpy", "pil"}, {"numpy", "PIL"}, nullptr, prefix + "-r" + std::to_string(n++));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    state.PauseTiming();
    z.first.reset();
    state.ResumeTiming();
  }
  std::sort(ms.begin(), ms.end());
  state.counters["p50_ms"] = ms[ms.size() / 2];
}

void TreeColdStart(benchmark::State& state, const std::string& mode) {
  if (!have_repo(state)) return;
  TreeCache t;
  const std::string prefix = "hearth-" + std::to_string(getpid()) + "-treec-" + mode;
  auto lease = t.cache->acquire(t.repo->resolve({"numpy", "yaml"}));
  std::shared_ptr<runtime::PythonZygote> z;
  std::unique_ptr<invoker::LibraryCache::Lease> z_lease;
  std::unique_ptr<sandbox::SandboxPool> pool;
  if (mode == "exact") std::tie(z, z_lease) = t.zygote({"numpy", "yaml"}, {"numpy", "yaml"}, nullptr, prefix);
  if (mode == "subset") std::tie(z, z_lease) = t.zygote({"numpy"}, {"numpy"}, nullptr, prefix);
  if (mode == "plain") pool = std::make_unique<sandbox::SandboxPool>(prefix + "-pool", 2);
  const std::string code = "import numpy, yaml\ndef main(a):\n    return {'sum': int(numpy.arange(10).sum()) + len(yaml.safe_dump([1]))}\n";
  std::vector<double> ms;
  int n = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (z) z->prepare(1);
    if (pool) pool->wait_ready(1, 5000);
    state.ResumeTiming();
    runtime::ProcessOptions o;
    o.sandboxed = true;
    o.zygote = z;
    o.pool = pool.get();
    o.name = prefix + "-" + std::to_string(n++);
    o.limits.memory_mb = 512;
    o.read_only_paths = lease->roots();
    const auto t0 = std::chrono::steady_clock::now();
    runtime::RuntimeProcess p(runtime::Language::kPython, o);
    const runtime::RunResult init = p.init_source(code, "main", 30'000, lease->python_paths());
    const runtime::RunResult r = init.ok ? p.run("{}", 30'000) : init;
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (!r.ok) {
      state.SkipWithError(("cold start failed: " + r.error).c_str());
      break;
    }
  }
  std::sort(ms.begin(), ms.end());
  if (!ms.empty()) state.counters["p50_ms"] = ms[ms.size() / 2];
}
}  // namespace

BENCHMARK_CAPTURE(LibraryPrepare, numpy, std::string("numpy"))->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(LibraryPrepare, pil, std::string("pil"))->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(LibraryPrepare, yaml, std::string("yaml"))->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(LibraryPrepare, requests, std::string("requests"))->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(LibraryPrepare, urllib3, std::string("urllib3"))->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(LibraryPrepare, six, std::string("six"))->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(NumpyColdStart, unprepared, std::string("unprepared"))->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(NumpyColdStart, cached, std::string("cached"))->Iterations(10)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(NumpyColdStart, no_library, std::string("no_library"))->Iterations(10)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_CAPTURE(ZygoteSetStart, root, false)->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(ZygoteSetStart, child, true)->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(TreeColdStart, exact, std::string("exact"))->Iterations(15)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(TreeColdStart, subset, std::string("subset"))->Iterations(15)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(TreeColdStart, plain, std::string("plain"))->Iterations(15)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
