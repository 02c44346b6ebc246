// Cold-start contention: N Python cold starts begun at once on this machine, each in its own sandbox
// (namespaces, read-only root, seccomp, a cgroup of 256 MB and one core: sandbox/), as the live platform's
// RuntimeContainerFactory starts a container without a pooled shell. A creation is the RuntimeProcess
// constructor (sandbox + interpreter start) + init (load the code) + the first run, as PythonColdStart
// measures one alone in bench/runtime_bench.cc. Per N: the mean and p50 creation latency over every
// creation of every iteration, and `vs_n1`, the mean divided by the N = 1 case's mean measured in the
// same run (the first case), and `k_fit`, the least-squares k of cold_cost(N) = base · (1 + k·(N − 1)) over
// the cases so far (the N = 16 row's is the run's calibration of the simulator's --cold-contention k:
// docs/calibration.md).
//   build/cold_contention_bench                    # needs root (sandboxes)
//   build/cold_contention_bench --benchmark_format=csv
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "runtime/runtime_process.h"
#include "sandbox/sandbox.h"

namespace {

using namespace hearth;

struct CodeDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("hearth_contention_" + std::to_string(getpid()));
  CodeDir() {
    std::filesystem::create_directories(path);
    std::ofstream(path / "noop.py") << "def main(args):\n    return args\n";
    std::filesystem::permissions(path, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                           std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                                           std::filesystem::perms::others_exec);
  }
  ~CodeDir() { std::filesystem::remove_all(path); }
};

double n1_mean_us = 0;  // the N = 1 case of this run, the baseline of vs_n1
double fit_xy = 0, fit_xx = 0;  // least squares through the origin of vs_n1 − 1 on N − 1, cases so far

void ConcurrentColdStarts(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  std::string why;
  if (!sandbox::Sandbox::supported(&why)) {
    state.SkipWithError(("sandboxes unsupported: " + why).c_str());
    return;
  }
  CodeDir dir;
  const std::string code = (dir.path / "noop.py").string();
  std::vector<double> all_us;
  std::atomic<int> failures{0};
  int iteration = 0;
  for (auto _ : state) {
    std::vector<std::unique_ptr<runtime::RuntimeProcess>> made(n);
    std::vector<double> us(n, 0);
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        runtime::ProcessOptions options;
        options.sandboxed = true;
        options.name = "contention-" + std::to_string(getpid()) + "-" + std::to_string(iteration) + "-" +
                       std::to_string(i);
        options.read_only_paths = {dir.path.string()};
        ++ready;
        while (!go.load()) std::this_thread::yield();
        const auto start = std::chrono::steady_clock::now();
        try {
          made[i] = std::make_unique<runtime::RuntimeProcess>(runtime::Language::kPython, options);
          if (!made[i]->init(code, "main", 30000).ok || !made[i]->run("{}", 30000).ok) ++failures;
        } catch (const std::exception&) {
          ++failures;
        }
        us[i] = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
      });
    }
    while (ready.load() < n) std::this_thread::yield();
    go = true;
    for (std::thread& t : threads) t.join();
    state.PauseTiming();
    made.clear();  // destroys the runtimes and their sandboxes, outside the measured time
    all_us.insert(all_us.end(), us.begin(), us.end());
    ++iteration;
    state.ResumeTiming();
    if (failures.load() > 0) {
      state.SkipWithError("a cold start failed");
      return;
    }
  }
  std::sort(all_us.begin(), all_us.end());
  const double mean = std::accumulate(all_us.begin(), all_us.end(), 0.0) / static_cast<double>(all_us.size());
  if (n == 1) n1_mean_us = mean;
  state.counters["creations"] = static_cast<double>(all_us.size());
  state.counters["mean_us"] = mean;
  state.counters["p50_us"] = all_us[all_us.size() / 2];
  state.counters["max_us"] = all_us.back();
  if (n1_mean_us > 0) {
    // The model cold_cost(N) = base · (1 + k·(N − 1)): k fitted on every case of this run up to this one
    // (the last row's k_fit is the calibration).
    const double ratio = mean / n1_mean_us;
    state.counters["vs_n1"] = ratio;
    fit_xy += (n - 1) * (ratio - 1);
    fit_xx += static_cast<double>((n - 1) * (n - 1));
    if (fit_xx > 0) state.counters["k_fit"] = fit_xy / fit_xx;
  }
}

BENCHMARK(ConcurrentColdStarts)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Arg(8)
    ->Arg(16)
    ->Iterations(6)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
