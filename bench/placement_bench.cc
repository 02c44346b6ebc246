// Cost of one placement decision on a 100-node simulated cluster (sim::Cluster, the engine's own
// indexes) holding 2,000 idle containers of 1,000 functions, for each placement policy; the baseline in
// the same run is `random` (no look at the cluster beyond the node list). The `full` cases shrink each
// node to the memory its idle containers hold, and place only functions
// with no idle container anywhere: every decision is cold, must evict, and MC walks each sampled node's
// eviction order.
// The `fig417_*` cases are Fig. 4.17's (Chapter 4 of seed 001, §4.6.2: scheduler throughput of vanilla
// OpenWhisk, Sophon without and with sampling on 100 invokers of 40 GB) and the same on Fig. 4.16's 50
// invokers of 20 GB: the same 2,000 idle containers of 1,000 functions, placements `openwhisk:managed=0.9`
// (the chapter's OpenWhisk), `sophon:MA/MC,sample=0` and `sophon:MA/MC` (sample=10); items_per_second is
// decisions per second of one thread.
//   build/placement_bench
//   build/placement_bench --benchmark_filter=fig417
// Issue 4's target: ≤ 20 µs per decision for Sophon with sampling on 100 nodes.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "policy/registry.h"
#include "sim/cluster.h"

namespace {

using namespace hearth;

constexpr std::uint32_t kNodes = 100;
constexpr std::size_t kFunctions = 1000;

void Decide(benchmark::State& state, const std::string& spec, model::MegaBytes node_memory_mb = 32768,
            bool cold_only = false, std::uint32_t nodes = kNodes) {
  const std::size_t held = cold_only ? kFunctions / 2 : kFunctions;  // functions with idle containers
  std::vector<model::FunctionSpec> functions(kFunctions);
  for (std::size_t i = 0; i < kFunctions; ++i) {
    functions[i].id = static_cast<model::FunctionId>(i);
    functions[i].name = "f" + std::to_string(i);
    functions[i].memory_mb = 128;
  }
  sim::Cluster cluster(nodes, node_memory_mb, 64, kFunctions);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 2000; ++i) {
    const auto node = static_cast<model::NodeId>(rng() % nodes);
    const auto fn = static_cast<model::FunctionId>(rng() % held);
    if (cluster.nodes()[node].free_mb() < 128) continue;  // full: this node holds enough already
    const model::ContainerId id = cluster.create(node, fn, model::RuntimeKind::kPython, 128, model::ContainerState::kBusy);
    cluster.put_idle(id, model::ContainerState::kIdle, static_cast<double>(i));
  }
  policy::PolicyContext ctx;
  ctx.node_count = nodes;
  ctx.functions = functions;
  auto placement = policy::make_placement(spec, ctx);
  model::Invocation inv;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& f = functions[cold_only ? held + (i++ * 7919) % (kFunctions - held) : (i++ * 7919) % kFunctions];
    inv.function = f.id;
    benchmark::DoNotOptimize(placement->place(inv, f, cluster));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

BENCHMARK_CAPTURE(Decide, random_baseline, std::string("random"));
BENCHMARK_CAPTURE(Decide, openwhisk, std::string("openwhisk"));
BENCHMARK_CAPTURE(Decide, max_memory, std::string("max-memory"));
BENCHMARK_CAPTURE(Decide, sticky_ma, std::string("sticky-ma"));
BENCHMARK_CAPTURE(Decide, sophon_MA_MA_sample10, std::string("sophon:MA/MA"));
BENCHMARK_CAPTURE(Decide, sophon_SR_MA_sample10, std::string("sophon:SR/MA"));
BENCHMARK_CAPTURE(Decide, sophon_MA_MA_all, std::string("sophon:MA/MA,sample=0"));
BENCHMARK_CAPTURE(Decide, sophon_MA_MC_sample10, std::string("sophon:MA/MC"));
BENCHMARK_CAPTURE(Decide, cold_full_random_baseline, std::string("random"), 2560, true);
BENCHMARK_CAPTURE(Decide, cold_full_sophon_MA_MA_sample10, std::string("sophon:MA/MA"), 2560, true);
BENCHMARK_CAPTURE(Decide, cold_full_sophon_MA_MC_sample10, std::string("sophon:MA/MC"), 2560, true);
BENCHMARK_CAPTURE(Decide, cold_full_sophon_SR_MC_sample10, std::string("sophon:SR/MC"), 2560, true);
BENCHMARK_CAPTURE(Decide, cold_full_sophon_MA_MC_all, std::string("sophon:MA/MC,sample=0"), 2560, true);
// Fig. 4.17: 100 invokers x 40 GB; Fig. 4.16's cluster: 50 invokers x 20 GB.
BENCHMARK_CAPTURE(Decide, fig417_100x40GB_openwhisk_2020, std::string("openwhisk:managed=0.9"), 40960, false, 100);
BENCHMARK_CAPTURE(Decide, fig417_100x40GB_sophon_MA_MC_all, std::string("sophon:MA/MC,sample=0"), 40960, false, 100);
BENCHMARK_CAPTURE(Decide, fig417_100x40GB_sophon_MA_MC_sample10, std::string("sophon:MA/MC"), 40960, false, 100);
BENCHMARK_CAPTURE(Decide, fig417_50x20GB_openwhisk_2020, std::string("openwhisk:managed=0.9"), 20480, false, 50);
BENCHMARK_CAPTURE(Decide, fig417_50x20GB_sophon_MA_MC_all, std::string("sophon:MA/MC,sample=0"), 20480, false, 50);
BENCHMARK_CAPTURE(Decide, fig417_50x20GB_sophon_MA_MC_sample10, std::string("sophon:MA/MC"), 20480, false, 50);

}  // namespace

BENCHMARK_MAIN();
