// Cost of Scorpius's decisions (docs/scorpius.md), on synthetic libraries shaped like the Debian data set
// (sizes log-uniform 10 KB - 50 MB; each function imports 1-40 libraries drawn Zipf-like, so a few are hot):
//   BM_Lookup/<servers>/<libraries>   one Eq. 7 lookup (policy/server_lookup.h) over the library-status
//                                     matrix: Fig. 10(b)'s calculation time; the matrix's bytes as a counter
//                                     (Fig. 10(a)). Baseline in the same run: BM_PlaceMaxMemory, a placement
//                                     that reads only the node list.
//   BM_Algorithm1/<servers>           the whole library preparation (policy/library_placement.h) for 4,000
//                                     libraries, 1,500 history functions, 64 MB per server; Hot and Random
//                                     beside it.
//   BM_Threshold*                     one threshold judgement, one late (decrease all) and one early
//                                     (increase 3) adjustment on a 160-threshold array: Fig. 12(b).
//   build/scorpius_bench
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "policy/code_scaling.h"
#include "policy/library_placement.h"
#include "policy/registry.h"
#include "policy/server_lookup.h"
#include "sim/cluster.h"

namespace {

using namespace hearth;

struct Synthetic {
  std::vector<std::int64_t> sizes;
  std::vector<std::vector<policy::LibraryId>> functions;
};

Synthetic synthetic(std::uint32_t libraries, std::size_t functions) {
  Synthetic s;
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0, 1);
  for (std::uint32_t i = 0; i < libraries; ++i)
    s.sizes.push_back(static_cast<std::int64_t>(std::exp(std::log(10.0) + u(rng) * (std::log(50.0 * 1024) - std::log(10.0)))));
  for (std::size_t f = 0; f < functions; ++f) {
    std::vector<policy::LibraryId> g;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k)  // Zipf-like: id = libraries^(u^2) - 1 favours low ids
      g.push_back(static_cast<policy::LibraryId>(std::pow(static_cast<double>(libraries), u(rng) * u(rng)) - 1));
    std::sort(g.begin(), g.end());
    g.erase(std::unique(g.begin(), g.end()), g.end());
    s.functions.push_back(std::move(g));
  }
  return s;
}

policy::LibraryMatrix plan(const Synthetic& s, std::uint32_t servers, policy::LibraryPlacementKind kind) {
  policy::LibraryPlacementInput in;
  in.size_kb = s.sizes;
  in.history = s.functions;
  in.servers = servers;
  in.budget_kb = 64 * 1024;
  return policy::place_libraries(kind, in);
}

void BM_Lookup(benchmark::State& state) {
  const auto servers = static_cast<std::uint32_t>(state.range(0));
  const auto libraries = static_cast<std::uint32_t>(state.range(1));
  const Synthetic s = synthetic(libraries, 1500);
  const policy::LibraryMatrix m = plan(s, servers, policy::LibraryPlacementKind::kHot);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& f = s.functions[i++ % s.functions.size()];
    benchmark::DoNotOptimize(policy::lookup_server(m, f, s.sizes, nullptr, static_cast<std::uint32_t>(i)));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["matrix_bytes"] = static_cast<double>(m.footprint_bytes());
}
BENCHMARK(BM_Lookup)->Args({32, 4000})->Args({64, 4000})->Args({128, 4000})->Args({64, 16000});

void BM_PlaceMaxMemory(benchmark::State& state) {
  const auto servers = static_cast<std::uint32_t>(state.range(0));
  std::vector<model::FunctionSpec> functions(100);
  for (std::size_t i = 0; i < functions.size(); ++i) functions[i].id = static_cast<model::FunctionId>(i);
  sim::Cluster cluster(servers, 16384, 64, functions.size());
  policy::PolicyContext ctx;
  ctx.node_count = servers;
  ctx.functions = functions;
  auto placement = policy::make_placement("max-memory", ctx);
  model::Invocation inv;
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& f = functions[i++ % functions.size()];
    inv.function = f.id;
    benchmark::DoNotOptimize(placement->place(inv, f, cluster));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_PlaceMaxMemory)->Arg(64);

void BM_Algorithm1(benchmark::State& state, policy::LibraryPlacementKind kind) {
  const Synthetic s = synthetic(4000, 1500);
  for (auto _ : state) benchmark::DoNotOptimize(plan(s, static_cast<std::uint32_t>(state.range(0)), kind));
}
BENCHMARK_CAPTURE(BM_Algorithm1, scorpius, policy::LibraryPlacementKind::kScorpius)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Algorithm1, hot, policy::LibraryPlacementKind::kHot)->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Algorithm1, random, policy::LibraryPlacementKind::kRandom)->Arg(64)->Unit(benchmark::kMillisecond);

policy::ThresholdParams params160() {
  policy::ThresholdParams p;
  p.codes = 160;
  return p;
}

void BM_ThresholdJudge(benchmark::State& state) {
  const auto p = params160();
  policy::ThresholdArray a(policy::fixed_thresholds(p, 0.5), p);
  std::int32_t u = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a.codes_wanted(u % 1600, u % 160));
    ++u;
  }
}
BENCHMARK(BM_ThresholdJudge);

void BM_ThresholdDecreaseAll(benchmark::State& state) {
  const auto p = params160();
  policy::ThresholdArray a(policy::fixed_thresholds(p, 0.5), p);
  for (auto _ : state) {
    a.on_late(2);  // walks every threshold (the longest adjustment) even once they sit at their floor
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_ThresholdDecreaseAll);

void BM_ThresholdIncrease3(benchmark::State& state) {
  const auto p = params160();
  policy::ThresholdArray a(policy::fixed_thresholds(p, 0.5), p);
  std::int32_t code = 2;
  for (auto _ : state) {
    a.on_early(code);
    code = code % 150 + 2;
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_ThresholdIncrease3);

}  // namespace

BENCHMARK_MAIN();
