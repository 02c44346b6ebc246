// CRL's decision cost and quality (issue 12, seed 002 §VI-C and §VIII-G Fig. 20), beside greedy by
// priority density (policy/request_schedulers.h) in the same run.
//   crl_bench [--model=DIR] [benchmark flags]   inference per select() for queues of 4..64 requests
//   crl_bench --quality --model=DIR             total priority CRL vs greedy vs exact on held-out snapshots
// Queues are snapshots (crl/snapshot_sampler.h) drawn from the held-out minutes (after --train-fraction,
// default 0.7) of the Azure 2019 sample, over the model's functions; every request's priority is its
// function's at the end of the snapshot's minute by the model's priority spec (crl/crl_history.h: the
// Function Info Table fed the trace's arrivals), and CRL, greedy and exact all use those same numbers.
// CRL runs both decisions (crl/crl_decision.h): stepwise (a forward pass per action) and one-pass.
// Without --model the timing uses an untrained network of the paper's shape over the sample's
// 64 most-invoked functions (the cost of a forward pass does not depend on the weights; the number of
// passes per decision does, and is reported as a counter).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "crl/crl_history.h"
#include "crl/crl_model.h"
#include "crl/crl_scheduler.h"
#include "crl/crl_trainer.h"
#include "crl/snapshot_sampler.h"
#include "policy/priority_knapsack.h"
#include "policy/request_schedulers.h"
#include "trace/arrival_counts.h"
#include "trace/azure2019_reader.h"

namespace hearth {
namespace {

struct Setup {
  std::vector<model::FunctionSpec> specs;  // the trace's functions
  std::shared_ptr<const crl::CrlModel> model;
  crl::CrlHistory held_out;                // over the model's functions
  std::vector<model::FunctionId> slot_fn;  // slot → FunctionId
  std::vector<std::int64_t> minutes;       // held-out minutes with arrivals
  std::vector<double> priority;            // FunctionId → priority in the current snapshot's minute
};

std::string g_model_dir;
double g_train_fraction = 0.7;

Setup& setup() {
  static Setup s = [] {
    Setup out;
    trace::TraceOptions options;
    trace::Workload w = trace::load_azure2019(std::string(HEARTH_SHARED_DIR) + "/traces/azure2019-500", options);
    out.specs = w.functions;
    const trace::ArrivalCounts counts = trace::count_arrivals(w);
    const auto from = static_cast<std::int64_t>(static_cast<double>(counts.minutes) * g_train_fraction);
    if (!g_model_dir.empty()) {
      out.model = std::make_shared<const crl::CrlModel>(crl::load_crl_model(g_model_dir));
      std::map<std::string, model::FunctionId> by_name;
      for (const model::FunctionSpec& fn : out.specs) by_name.emplace(fn.name, fn.id);
      for (const crl::CrlFunction& f : out.model->functions) out.slot_fn.push_back(by_name.at(f.name));
    } else {
      out.slot_fn = crl::top_functions(counts, 0, from, 64);
      crl::CrlModel m;
      const crl::CrlHistory h = crl::make_history(out.specs, out.slot_fn, counts, 0, from);
      m.functions = h.functions;
      m.priority_spec = h.priority_spec;
      m.hidden = crl::TrainOptions{}.hidden;  // the paper's 1024-512-512-256
      m.centroids = {std::vector<double>(h.functions.size(), 1.0 / static_cast<double>(h.functions.size()))};
      m.priority_scale = h.max_priority();
      m.networks.emplace_back(m.shape(), 1);
      out.model = std::make_shared<const crl::CrlModel>(std::move(m));
    }
    out.held_out = crl::make_history(out.specs, out.slot_fn, counts, from, counts.minutes, out.model->priority_spec);
    out.priority.assign(out.specs.size(), 0);
    for (std::int64_t m = 0; m < out.held_out.minutes; ++m) {
      float sum = 0;
      for (std::size_t i = 0; i < out.slot_fn.size(); ++i) sum += out.held_out.at(m, i);
      if (sum > 0) out.minutes.push_back(m);
    }
    return out;
  }();
  return s;
}

// A held-out snapshot as the engine's queue (oldest first: requests in a shuffled order).
struct Queue {
  std::vector<policy::PendingRequest> pending;
  policy::NodeCapacity capacity;
  crl::FpsInstance instance;
  std::int64_t minute = 0;  // of the held-out history
};

Queue make_queue(Setup& s, std::mt19937_64& rng, std::int32_t min_len, std::int32_t max_len) {
  crl::SnapshotOptions o;
  o.min_queue = min_len, o.max_queue = max_len;
  const std::int64_t minute = s.minutes[rng() % s.minutes.size()];
  Queue q;
  q.instance = crl::sample_snapshot(s.held_out, minute, o, rng);
  q.minute = minute;
  for (std::size_t i = 0; i < s.slot_fn.size(); ++i)
    for (std::int32_t k = 0; k < q.instance.pending[i]; ++k) {
      const model::FunctionSpec& fn = s.specs[s.slot_fn[i]];
      q.pending.push_back({q.pending.size(), fn.id, 0, fn.memory_mb, crl::cores_for_memory(fn.memory_mb), false,
                           q.instance.busy[i] ? 1 : 0});
    }
  std::shuffle(q.pending.begin(), q.pending.end(), rng);
  for (std::size_t k = 0; k < q.pending.size(); ++k) q.pending[k].id = k;
  q.capacity = {q.instance.capacity_mb, q.instance.capacity_cores};
  return q;
}

// Makes `q`'s minute the one whose priorities the schedulers below see.
void use_priorities_of(Setup& s, const Queue& q) {
  for (std::size_t i = 0; i < s.slot_fn.size(); ++i) s.priority[s.slot_fn[i]] = s.held_out.priority(q.minute, i);
}

// Greedy by priority density (S's KnapsackScheduler) and CRL, both over the snapshot's priorities.
class SnapshotGreedy final : public policy::KnapsackScheduler {
 public:
  explicit SnapshotGreedy(const Setup& s) : KnapsackScheduler({}), s_(s) {}

 protected:
  double priority(model::FunctionId fn, model::Micros) override { return s_.priority[fn]; }

 private:
  const Setup& s_;
};

class SnapshotCrl final : public crl::CrlScheduler {
 public:
  SnapshotCrl(const Setup& s, crl::CrlDecision d) : CrlScheduler(s.model, d), s_(s) {}

 protected:
  double priority(model::FunctionId fn, model::Micros) override { return s_.priority[fn]; }

 private:
  const Setup& s_;
};

std::unique_ptr<SnapshotCrl> crl_scheduler(Setup& s, crl::CrlDecision d) {
  auto c = std::make_unique<SnapshotCrl>(s, d);
  for (const model::FunctionSpec& fn : s.specs) c->on_function_added(fn);
  return c;
}

template <class MakeScheduler>
void run(benchmark::State& state, MakeScheduler make) {
  Setup& s = setup();
  const auto n = static_cast<std::int32_t>(state.range(0));
  std::mt19937_64 rng(42);
  std::vector<Queue> queues;
  for (int i = 0; i < 64; ++i) queues.push_back(make_queue(s, rng, n, n));
  auto sched = make(s);
  std::size_t i = 0, started = 0, decisions = 0;
  for (auto _ : state) {
    const Queue& q = queues[i++ % queues.size()];
    use_priorities_of(s, q);
    const auto chosen = sched->select(q.pending, q.capacity, 0);
    started += chosen.size();
    ++decisions;
    benchmark::DoNotOptimize(chosen.data());
  }
  state.counters["started_per_decision"] = static_cast<double>(started) / static_cast<double>(decisions);
  if constexpr (requires { sched->forward_passes(); })
    state.counters["forwards_per_decision"] =
        static_cast<double>(sched->forward_passes()) / static_cast<double>(decisions);
}

void BM_CrlSelect(benchmark::State& state) {
  run(state, [](Setup& s) { return crl_scheduler(s, crl::CrlDecision::kStepwise); });
}
void BM_CrlOnePassSelect(benchmark::State& state) {
  run(state, [](Setup& s) { return crl_scheduler(s, crl::CrlDecision::kOnePass); });
}
void BM_GreedySelect(benchmark::State& state) {
  run(state, [](Setup& s) {
    auto g = std::make_unique<SnapshotGreedy>(s);
    for (const model::FunctionSpec& fn : s.specs) g->on_function_added(fn);
    return g;
  });
}
// One forward pass of the paper's network over the model's state: libtorch (batch 1) vs the Eigen copy the
// scheduler uses (crl/dense_network.h).
void BM_TorchForward(benchmark::State& state) {
  Setup& s = setup();
  const crl::QNetwork& net = s.model->networks[0];
  std::vector<float> x(net.shape().inputs, 0.5f), q(net.shape().outputs);
  for (auto _ : state) {
    net.q_values(x, 1, q);
    benchmark::DoNotOptimize(q.data());
  }
}
void BM_DenseForward(benchmark::State& state) {
  Setup& s = setup();
  const crl::DenseNetwork net = s.model->networks[0].dense();
  std::vector<float> x(net.inputs(), 0.5f), q(net.outputs());
  for (auto _ : state) {
    net.q_values(x, q);
    benchmark::DoNotOptimize(q.data());
  }
}
BENCHMARK(BM_TorchForward)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_DenseForward)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GreedySelect)->Arg(4)->Arg(8)->Arg(16)->Arg(32)->Arg(64)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CrlSelect)->Arg(4)->Arg(8)->Arg(16)->Arg(32)->Arg(64)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CrlOnePassSelect)->Arg(4)->Arg(8)->Arg(16)->Arg(32)->Arg(64)->Unit(benchmark::kMicrosecond);

double total_priority(const Setup& s, const Queue& q, const std::vector<std::size_t>& chosen) {
  double sum = 0;
  for (std::size_t k : chosen) sum += s.priority[q.pending[k].function];
  return sum;
}

// Held-out decision quality: for each queue-length band, mean total priority started (Eq. 7) by CRL
// (stepwise and one-pass), greedy and (bands ≤ 16) the exact branch and bound, all over the same
// priorities; ratios to exact (or to greedy above 16).
int quality(int snapshots) {
  Setup& s = setup();
  auto stepwise = crl_scheduler(s, crl::CrlDecision::kStepwise);
  auto one_pass = crl_scheduler(s, crl::CrlDecision::kOnePass);
  std::printf("held-out snapshots: %d per band, %zu held-out minutes, model %s (%zu functions, %zu environments, "
              "priority %s)\n",
              snapshots, s.minutes.size(), g_model_dir.c_str(), s.model->functions.size(), s.model->centroids.size(),
              s.model->priority_spec.c_str());
  std::printf("%-8s %10s %10s %10s %10s %9s %9s %9s %9s %9s\n", "queue", "crl-step", "crl-1pass", "greedy", "exact",
              "step/ex", "1pass/ex", "greedy/ex", "step/gr", "1pass/gr");
  const std::pair<int, int> bands[] = {{4, 8}, {9, 16}, {17, 32}, {33, 64}};
  std::mt19937_64 rng(2026);
  for (const auto& [lo, hi] : bands) {
    double c = 0, o = 0, g = 0, e = 0;
    int better = 0, worse = 0, better1 = 0, worse1 = 0, inexact = 0;
    for (int i = 0; i < snapshots; ++i) {
      const Queue q = make_queue(s, rng, lo, hi);
      use_priorities_of(s, q);
      std::vector<policy::KnapsackItem> items;
      for (const policy::PendingRequest& r : q.pending) items.push_back({s.priority[r.function], r.memory_mb, r.cpu_cores});
      const policy::KnapsackCapacity cap{q.capacity.available_mb, q.capacity.available_cores};
      const double cv = total_priority(s, q, stepwise->select(q.pending, q.capacity, 0));
      const double ov = total_priority(s, q, one_pass->select(q.pending, q.capacity, 0));
      const double gv = policy::solve_knapsack_greedy(items, cap).value;
      c += cv, o += ov, g += gv;
      better += cv > gv * (1 + 1e-9), worse += cv < gv * (1 - 1e-9);
      better1 += ov > gv * (1 + 1e-9), worse1 += ov < gv * (1 - 1e-9);
      if (hi <= 16) {
        const policy::KnapsackSolution ex = policy::solve_knapsack_exact(items, cap);
        e += ex.value;
        inexact += !ex.optimal;
      }
    }
    const double n = snapshots;
    if (hi <= 16)
      std::printf("%2d-%-5d %10.4g %10.4g %10.4g %10.4g %9.3f %9.3f %9.3f %9.3f %9.3f%s\n", lo, hi, c / n, o / n,
                  g / n, e / n, c / e, o / e, g / e, c / g, o / g, inexact ? " (exact hit its budget)" : "");
    else
      std::printf("%2d-%-5d %10.4g %10.4g %10.4g %10s %9s %9s %9s %9.3f %9.3f\n", lo, hi, c / n, o / n, g / n, "-",
                  "-", "-", "-", c / g, o / g);
    std::printf("         better/worse than greedy: stepwise %d/%d, one-pass %d/%d\n", better, worse, better1, worse1);
  }
  return 0;
}

}  // namespace
}  // namespace hearth

int main(int argc, char** argv) {
  bool quality = false;
  int snapshots = 300;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--model=", 8) == 0) hearth::g_model_dir = argv[i] + 8;
    else if (std::strcmp(argv[i], "--quality") == 0) quality = true;
    else if (std::strncmp(argv[i], "--snapshots=", 12) == 0) snapshots = std::atoi(argv[i] + 12);
    else if (std::strncmp(argv[i], "--train-fraction=", 17) == 0) hearth::g_train_fraction = std::atof(argv[i] + 17);
    else rest.push_back(argv[i]);
  }
  hearth::crl::set_torch_threads(1);  // as the plugin does for inference
  if (quality) {
    if (hearth::g_model_dir.empty() || snapshots <= 0) {
      std::fprintf(stderr, "crl_bench --quality needs --model=DIR (and --snapshots=N > 0)\n");
      return 2;
    }
    return hearth::quality(snapshots);
  }
  int n = static_cast<int>(rest.size());
  benchmark::Initialize(&n, rest.data());
  if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
