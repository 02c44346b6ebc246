// The synthetic generator alone (trace/synth_source.h): invocations streamed per CPU second of one thread (the machine is shared: CPU time, not wall),
// no simulation, at 500, 5,000 and 50,000 functions over 10 minutes from minute 0 (the curve's trough:
// 0.76 of the mean rate). `expected` is synth_expected_invocations for the same span, to compare with
// the count drawn.
//   build/synth_bench                                   # all sizes
//   build/synth_bench --benchmark_filter='50000'        # the 14-day replay's size
#include <benchmark/benchmark.h>

#include <vector>

#include "trace/synth.h"

namespace {

void BM_SynthStream(benchmark::State& state) {
  hearth::trace::SynthOptions o;
  o.functions = static_cast<std::uint32_t>(state.range(0));
  o.minutes = state.range(1);
  std::uint64_t n = 0;
  for (auto _ : state) {
    hearth::trace::Workload w = hearth::trace::synth_workload(o);
    std::vector<hearth::model::Invocation> batch;
    n = 0;
    while (w.invocations->next_batch(batch)) n += batch.size();
    benchmark::DoNotOptimize(n);
  }
  state.counters["invocations"] = static_cast<double>(n);
  state.counters["expected"] = hearth::trace::synth_expected_invocations(o, hearth::trace::synth_functions(o));
  state.counters["invocations_per_second"] =
      benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SynthStream)->Args({500, 10})->Args({5000, 10})->Args({50000, 10})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
