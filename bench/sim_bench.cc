// Simulated invocations per wall second, per preset, on the shared Azure 2019 sample trace
// (about 3.04 M invocations, 500 functions, 8 hours), single-threaded.
// Baseline in the same run: streaming the trace alone (reader + spreading, no simulation), so
// `sim_over_stream` says how many times the trace read the simulation itself costs.
// Scaling cases: the openwhisk preset with each autoscaler (policy/scaling.h), against scaling none
// (the same preset) in the same run.
//   build/sim_bench                       # all presets and scaling policies
//   build/sim_bench --benchmark_filter=ttl        # ttl (default CPU model) against ttl_fifo: issue 10's cost
//   build/sim_bench --benchmark_filter=scaling
//   build/sim_bench --benchmark_filter='ttl$|incendio'   # Incendio's presets (scheduler path) against ttl
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <string>
#include <vector>

#include "policy/registry.h"
#include "sim/engine.h"
#include "trace/azure2019_reader.h"

namespace {

const std::string kTrace = std::string(HEARTH_SHARED_DIR) + "/traces/azure2019-500";

hearth::trace::Workload load() { return hearth::trace::load_azure2019(kTrace, hearth::trace::TraceOptions{}); }

double stream_seconds(std::uint64_t* count) {
  const auto start = std::chrono::steady_clock::now();
  auto w = load();
  std::vector<hearth::model::Invocation> batch;
  *count = 0;
  while (w.invocations->next_batch(batch)) *count += batch.size();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void BM_Stream(benchmark::State& state) {
  std::uint64_t n = 0;
  for (auto _ : state) benchmark::DoNotOptimize(stream_seconds(&n));
  state.counters["invocations"] = static_cast<double>(n);
  state.counters["invocations_per_second"] =
      benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The engine's CPU models (sim/engine.h): processor sharing (default) or the FIFO queue behind cores,
// with cold-start contention (default) or without.
struct CpuModel {
  hearth::sim::SimConfig::CpuModel model = hearth::sim::SimConfig::CpuModel::kShares;
  bool contention = true;
};

void BM_Simulate(benchmark::State& state, const std::string& preset_name, const std::string& scaling = "none",
                 CpuModel cpu = {}) {
  const hearth::policy::Preset* preset = hearth::policy::find_preset(preset_name);
  if (!preset) {
    state.SkipWithError(("no preset " + preset_name).c_str());
    return;
  }
  hearth::sim::SimConfig config;
  config.nodes = 8;
  config.node_memory_mb = 16384;
  config.node_cores = 64;  // the `hearth sim` defaults
  config.placement = preset->placement;
  config.keepalive = preset->keepalive;
  config.prewarm = preset->prewarm;
  config.cpu_weights = preset->cpu_weights;  // as `hearth sim --preset` runs it
  config.scheduler = preset->scheduler;
  config.pool_manager = preset->pool_manager;
  config.scaling = scaling;
  config.cpu_model = cpu.model;
  if (!cpu.contention) config.cold_contention_us = 0;
  std::uint64_t invocations = 0;
  double sim_seconds = 0;
  for (auto _ : state) {
    auto w = load();
    const auto r = hearth::sim::run_simulation(w, config);
    invocations = r.metrics.invocations();
    sim_seconds += r.wall_seconds;
    benchmark::DoNotOptimize(r.metrics.cold_starts());
  }
  std::uint64_t streamed = 0;
  const double stream = stream_seconds(&streamed);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  state.counters["invocations"] = static_cast<double>(invocations);
  state.counters["invocations_per_second"] = benchmark::Counter(
      static_cast<double>(invocations) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["sim_over_stream"] = sim_seconds / static_cast<double>(state.iterations()) / stream;
  state.counters["peak_rss_mb"] = static_cast<double>(usage.ru_maxrss) / 1024.0;
}

}  // namespace

BENCHMARK(BM_Stream)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK_CAPTURE(BM_Simulate, ttl, std::string("ttl"))->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
// The cost of processor sharing: ttl under the FIFO model without contention (the engine before issue 10),
// under processor sharing without contention, and the default (both), in the same run.
BENCHMARK_CAPTURE(BM_Simulate, ttl_fifo, std::string("ttl"), std::string("none"),
                  CpuModel{hearth::sim::SimConfig::CpuModel::kFifo, false})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Simulate, ttl_shares_no_contention, std::string("ttl"), std::string("none"),
                  CpuModel{hearth::sim::SimConfig::CpuModel::kShares, false})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Simulate, lru, std::string("lru"))->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();
BENCHMARK_CAPTURE(BM_Simulate, faascache, std::string("faascache"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Simulate, hybrid_histogram, std::string("hybrid-histogram"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Simulate, openwhisk, std::string("openwhisk"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Simulate, incendio, std::string("incendio"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Simulate, incendio_wo_p, std::string("incendio-wo-p"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

BENCHMARK_CAPTURE(BM_Simulate, scaling_none, std::string("openwhisk"), std::string("none"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Simulate, scaling_knative, std::string("openwhisk"), std::string("knative"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Simulate, scaling_hyperfaas, std::string("openwhisk"), std::string("hyperfaas"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Simulate, scaling_hpa, std::string("openwhisk"), std::string("hpa"))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3)
    ->UseRealTime();

BENCHMARK_MAIN();
