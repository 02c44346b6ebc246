// Cost of the arrival predictors per function per minute (Incendio §V; issue 12 asks for it in BENCHMARKS.md):
// 500 functions with two days of per-minute Poisson counts (log-normal mean rates, median 1 a minute, a daily
// cycle), then
//   BM_PredictMinute/<model>: one simulated minute — that minute's arrivals fed, then predict_next_minute for
//     every function (the learned models build all rows and call XGBoost once per minute); items = functions,
//     so time per item = cost per function per minute. Refits are switched off here (refit=100000h);
//   BM_Fit/<model>: one (re)fit on the two days (Prophet per function + XGBoost on 100,000 rows), whose cost per
//     function per minute at one fit a day is time / (500 × 1440) (counter fit_per_fn_minute_ns).
// The baseline in the same run is `histogram`; `ewma` and `exp-smoothing` are skipped until the registry's
// make_arrival_predictor is merged (swap make_learned_arrival_predictor for it below).
//   build/predictor_bench
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "policy/learned_arrival_predictor.h"
#include "policy/learned_predictors.h"

namespace {

using namespace hearth;

constexpr std::size_t kFunctions = 500;
constexpr std::int64_t kHistory = 2 * 1440;
constexpr std::int64_t kMinutes = kHistory + 1440;

struct Counts {
  std::vector<std::vector<std::uint16_t>> by_minute;  // [minute][function]
};

const Counts& counts() {
  static const Counts c = [] {
    Counts out;
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> rate(0.0, 1.5);
    std::vector<double> rates(kFunctions);
    for (double& r : rates) r = rate(rng);
    out.by_minute.assign(kMinutes, std::vector<std::uint16_t>(kFunctions));
    for (std::int64_t m = 0; m < kMinutes; ++m) {
      const double cycle = 1 + 0.5 * std::sin(2 * std::numbers::pi * static_cast<double>(m % 1440) / 1440.0);
      for (std::size_t f = 0; f < kFunctions; ++f)
        out.by_minute[m][f] = static_cast<std::uint16_t>(std::poisson_distribution<int>(rates[f] * cycle)(rng));
    }
    return out;
  }();
  return c;
}

std::vector<model::FunctionSpec> specs() {
  std::vector<model::FunctionSpec> f(kFunctions);
  for (std::size_t i = 0; i < kFunctions; ++i) f[i].id = static_cast<model::FunctionId>(i);
  return f;
}

void feed_minute(policy::ArrivalPredictor& p, std::int64_t m) {
  const auto& row = counts().by_minute[static_cast<std::size_t>(m)];
  for (std::size_t f = 0; f < kFunctions; ++f)
    for (int i = 0; i < row[f]; ++i)
      p.on_arrival(static_cast<model::FunctionId>(f), m * model::kMicrosPerMinute + i * (model::kMicrosPerMinute / (row[f] + 1)));
}

std::unique_ptr<policy::ArrivalPredictor> make(const std::string& spec, const std::vector<model::FunctionSpec>& fns) {
  policy::PolicyContext ctx;
  ctx.functions = fns;
  return policy::make_learned_arrival_predictor(spec, ctx);
}

void BM_PredictMinute(benchmark::State& state, std::string spec) {
  const std::vector<model::FunctionSpec> fns = specs();
  auto p = make(spec, fns);
  if (!p) {
    state.SkipWithError(("'" + spec + "' is not in this build").c_str());
    return;
  }
  for (std::int64_t m = 0; m < kHistory; ++m) feed_minute(*p, m);
  // The first prediction fits the learned models (first_fit is two days).
  for (std::size_t f = 0; f < kFunctions; ++f) p->predict_next_minute(static_cast<model::FunctionId>(f), kHistory * model::kMicrosPerMinute - 1);
  std::int64_t m = kHistory;
  double sink = 0;
  for (auto _ : state) {
    feed_minute(*p, m);
    for (std::size_t f = 0; f < kFunctions; ++f)
      sink += p->predict_next_minute(static_cast<model::FunctionId>(f), (m + 1) * model::kMicrosPerMinute - 1);
    if (++m == kMinutes) {
      state.PauseTiming();
      p = make(spec, fns);
      for (m = 0; m < kHistory; ++m) feed_minute(*p, m);
      for (std::size_t f = 0; f < kFunctions; ++f)
        p->predict_next_minute(static_cast<model::FunctionId>(f), kHistory * model::kMicrosPerMinute - 1);
      state.ResumeTiming();
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kFunctions));
}

void BM_Fit(benchmark::State& state, bool prophet) {
  const std::vector<model::FunctionSpec> fns = specs();
  policy::LearnedPredictorParams params;
  params.prophet_features = prophet;
  policy::LearnedArrivalPredictor p(fns, params);
  for (std::int64_t m = 0; m < kHistory; ++m) feed_minute(p, m);
  for (auto _ : state) p.fit(kHistory);
  // Displayed as elapsed / value: value = iterations × function-minutes × 1e-9 gives ns per function-minute.
  state.counters["fit_per_fn_minute_ns"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kFunctions * 1440.0 * 1e-9,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK_CAPTURE(BM_PredictMinute, histogram, std::string("histogram"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_PredictMinute, ewma, std::string("ewma"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_PredictMinute, exp_smoothing, std::string("exp-smoothing"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_PredictMinute, xgboost, std::string("xgboost:first_fit=48h,refit=100000h"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_PredictMinute, hybrid, std::string("hybrid:first_fit=48h,refit=100000h"))->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Fit, xgboost, false)->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK_CAPTURE(BM_Fit, hybrid, true)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
