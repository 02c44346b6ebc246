// Decision cost of the request schedulers (policy/request_schedulers.h) against the queue length: one
// select() over a node queue of n pending requests drawn from 20 functions (64-1,024 MB, CPU = memory /
// 512 MB), with room for about half of them, as fifo (baseline: walks the queue's head), greedy, exact
// and incendio (SLO guard + greedy; nobody urgent) through make_request_scheduler with param2 priorities
// over a Function Info Table fed by arrivals.
//   build/scheduler_bench                       # ns per decision; `ratio_to_fifo` is computed from them
//   build/scheduler_bench --benchmark_filter=exact
// Each case reports ns per decision; BENCHMARKS.md gives the ratios to fifo at the same n.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "policy/registry.h"

namespace {

using namespace hearth;

struct Case {
  std::vector<model::FunctionSpec> functions;
  std::vector<policy::PendingRequest> pending;
  policy::NodeCapacity capacity;
};

Case make_case(std::size_t n) {
  Case c;
  std::mt19937_64 rng(42);
  for (model::FunctionId f = 0; f < 20; ++f) {
    model::FunctionSpec s;
    s.id = f;
    s.name = "f" + std::to_string(f);
    s.memory_mb = 64 << (rng() % 5);  // 64..1024 MB
    s.cold_start_us = static_cast<model::Micros>(200'000 + rng() % 3'000'000);
    s.warm_us = static_cast<model::Micros>(10'000 + rng() % 2'000'000);
    c.functions.push_back(s);
  }
  model::MegaBytes total_mb = 0;
  double total_cores = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const model::FunctionSpec& f = c.functions[rng() % c.functions.size()];
    policy::PendingRequest r;
    r.id = i;
    r.function = f.id;
    r.arrival_us = static_cast<model::Micros>(i) * 100;  // 0.1 ms apart: nobody near the 500 ms SLO
    r.memory_mb = f.memory_mb;
    r.cpu_cores = static_cast<double>(f.memory_mb) / 512.0;
    r.warm = rng() % 4 == 0;
    c.pending.push_back(r);
    total_mb += r.memory_mb;
    total_cores += r.cpu_cores;
  }
  c.capacity.available_mb = total_mb / 2;
  c.capacity.available_cores = total_cores / 2;
  return c;
}

void BM_Select(benchmark::State& state, const std::string& spec) {
  const Case c = make_case(static_cast<std::size_t>(state.range(0)));
  policy::PolicyContext ctx;
  ctx.functions = c.functions;
  auto scheduler = policy::make_request_scheduler(spec, ctx);
  for (const policy::PendingRequest& r : c.pending) {
    model::Invocation inv;
    inv.id = r.id;
    inv.function = r.function;
    inv.arrival_us = r.arrival_us;
    scheduler->on_arrival(inv, c.functions[r.function], r.arrival_us);
  }
  const model::Micros now = static_cast<model::Micros>(c.pending.size()) * 100;
  std::size_t chosen = 0;
  for (auto _ : state) {
    const auto picked = scheduler->select(c.pending, c.capacity, now);
    chosen = picked.size();
    benchmark::DoNotOptimize(picked.data());
  }
  state.counters["chosen"] = static_cast<double>(chosen);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Select, fifo, std::string("fifo"))->RangeMultiplier(4)->Range(4, 1024);
BENCHMARK_CAPTURE(BM_Select, greedy, std::string("greedy"))->RangeMultiplier(4)->Range(4, 1024);
BENCHMARK_CAPTURE(BM_Select, incendio, std::string("incendio"))->RangeMultiplier(4)->Range(4, 1024);
BENCHMARK_CAPTURE(BM_Select, exact, std::string("exact"))->RangeMultiplier(4)->Range(4, 1024);

BENCHMARK_MAIN();
