// Invariants of the simulator over random small workloads, every preset and every scaling policy, both
// CPU models.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "policy/registry.h"
#include "sim/engine.h"
#include "sim/report.h"
#include "tests/sim/fixed_workload.h"
#include "tests/sim/metrics_equal.h"

namespace hearth::sim {
namespace {

using namespace testing;

struct RandomCase {
  std::vector<model::FunctionSpec> functions;
  std::vector<model::Invocation> calls;
  SimConfig config;
};

RandomCase random_case() {
  RandomCase c;
  const int nfun = *rc::gen::inRange(1, 12);
  for (int i = 0; i < nfun; ++i) {
    auto f = function(static_cast<model::FunctionId>(i), *rc::gen::inRange<model::MegaBytes>(1, 700),
                      *rc::gen::inRange<model::Micros>(0, model::seconds(5)),
                      *rc::gen::inRange<model::Micros>(0, model::seconds(3)));
    f.runtime = static_cast<model::RuntimeKind>(*rc::gen::inRange(0, 3));
    c.functions.push_back(f);
  }
  const int ncalls = *rc::gen::inRange(0, 200);
  for (int i = 0; i < ncalls; ++i) {
    const auto fn = static_cast<model::FunctionId>(*rc::gen::inRange(0, nfun));
    c.calls.push_back(call(fn, *rc::gen::inRange<model::Micros>(0, model::minutes(30)),
                           *rc::gen::inRange<model::Micros>(0, model::seconds(20))));
  }
  const auto& presets = policy::all_presets();
  const policy::Preset& p = presets[*rc::gen::inRange<std::size_t>(0, presets.size())];
  c.config.placement = p.placement;
  c.config.keepalive = p.keepalive;
  c.config.prewarm = p.prewarm;
  c.config.scheduler = p.scheduler;
  c.config.pool_manager = p.pool_manager;
  // Any request scheduler (the scheduler path: CPU admission, queue timeout) a third of the time.
  if (*rc::gen::inRange(0, 3) == 0) {
    static const char* const schedulers[] = {"fifo", "greedy", "exact:budget=50", "incendio",
                                             "incendio:solver=exact,priority=param4,slo=50ms"};
    c.config.scheduler = schedulers[*rc::gen::inRange(0, 5)];
    c.config.queue_timeout_us = *rc::gen::inRange(0, 3) * model::seconds(10);
  }
  c.config.nodes = *rc::gen::inRange(1u, 5u);
  c.config.node_memory_mb = *rc::gen::inRange<model::MegaBytes>(300, 2000);
  c.config.node_cores = *rc::gen::inRange(1, 4);
  c.config.queue_limit = *rc::gen::inRange<std::size_t>(0, 5);
  c.config.seed = *rc::gen::inRange<std::uint64_t>(1, 1000);
  // Either CPU model, equal or memory CPU weights, part of each duration as waiting, cold-start contention on
  // or off.
  c.config.cpu_model = *rc::gen::arbitrary<bool>() ? SimConfig::CpuModel::kShares : SimConfig::CpuModel::kFifo;
  c.config.cpu_fraction = *rc::gen::inRange(1, 11) / 10.0;
  c.config.cpu_weights = *rc::gen::arbitrary<bool>() ? policy::CpuWeights::kMemory : policy::CpuWeights::kEqual;
  c.config.cold_contention = *rc::gen::inRange(0, 3) * 0.5;
  c.config.cold_contention_us = *rc::gen::inRange(0, 3) * model::millis(100);
  // Throws if memory (or, where the model binds them, cores) ever exceed a node's capacity, if a node's
  // CPU runs jobs it does not count, or if an invocation runs faster than one core.
  c.config.check_invariants = true;
  return c;
}

// A random case under a random scaling policy (none, knative, hyperfaas, hpa) with random parameters.
RandomCase random_scaling_case() {
  RandomCase c = random_case();
  c.config.scheduler = "fifo";  // schedulers and pool managers are for the one-invocation-per-container path
  c.config.pool_manager = "none";
  c.config.queue_timeout_us.reset();
  const int kind = *rc::gen::inRange(0, 4);
  const std::string tick = std::to_string(*rc::gen::inRange(1, 5)) + "s";
  if (kind == 0) {
    c.config.scaling = "none";
  } else if (kind == 1) {
    c.config.scaling = "knative:target=" + std::to_string(*rc::gen::inRange(1, 6)) + ",tick=" + tick +
                       ",stable=20s,panic=4s,grace=" + std::to_string(*rc::gen::inRange(0, 30)) + "s";
  } else if (kind == 2) {
    const int slots = *rc::gen::inRange(1, 4);
    c.config.scaling = "hyperfaas:slots=" + std::to_string(slots) +
                       ",max_slots=" + std::to_string(slots + *rc::gen::inRange(0, 6)) +
                       ",cores=" + std::to_string(*rc::gen::inRange(1, 5)) +
                       ",worker_mb=" + std::to_string(*rc::gen::inRange(0, 50)) +
                       ",persist=" + std::to_string(*rc::gen::inRange(0, 3)) +
                       ",low=" + std::to_string(*rc::gen::inRange(0, 11) / 10.0) +
                       ",cpu=" + std::to_string(*rc::gen::inRange(1, 11) / 10.0) +
                       ",memory=" + std::to_string(*rc::gen::inRange(1, 11) / 10.0) + ",tick=" + tick;
  } else {
    c.config.scaling = "hpa:target=" + std::to_string(*rc::gen::inRange(1, 11) / 10.0) +
                       ",cores=" + std::to_string(*rc::gen::inRange(1, 4)) +
                       ",cc=" + std::to_string(*rc::gen::inRange(0, 4)) +
                       ",max=" + std::to_string(*rc::gen::inRange(1, 8)) + ",sync=" + tick + ",down=30s";
  }
  c.config.share_containers = *rc::gen::arbitrary<bool>();  // container sharing (scaling path only)
  return c;
}

std::string run_json(const RandomCase& c) {
  auto w = workload(c.functions, c.calls, model::minutes(30));
  SimResult r = run_simulation(w, c.config);
  r.wall_seconds = 0;
  return result_json(NamedResult{"x", c.config.placement, c.config.keepalive, c.config.prewarm, &r, 0, c.config.scaling});
}

// Runs `c` (check_invariants throws if a node ever exceeds its memory or cores) and checks that every
// invocation completed or was dropped with a reason and that memory stayed within the cluster.
void run_and_check_accounting(const RandomCase& c) {
  auto w = workload(c.functions, c.calls, model::minutes(30));
  const SimResult r = run_simulation(w, c.config);
  const Metrics& m = r.metrics;
  RC_ASSERT(m.invocations() == c.calls.size());
  RC_ASSERT(m.completed() + m.dropped() == c.calls.size());
  RC_ASSERT(m.starts(model::StartKind::kWarm) + m.starts(model::StartKind::kPrewarm) + m.cold_starts() ==
            m.completed());
  RC_ASSERT(r.peak_memory_mb <= static_cast<model::MegaBytes>(c.config.nodes) * c.config.node_memory_mb);
  RC_ASSERT(r.idle_memory_gb_s >= -1e-9);
  RC_ASSERT(r.idle_memory_gb_s <= r.total_memory_gb_s + 1e-9);
}

RC_GTEST_PROP(EngineProperty, EveryInvocationCompletesOrIsDroppedWithAReason, ()) {
  run_and_check_accounting(random_case());
}

RC_GTEST_PROP(EngineProperty, SameSeedSameResults, ()) {
  const RandomCase c = random_case();
  RC_ASSERT(run_json(c) == run_json(c));
}

// check_invariants also verifies, under a scaling policy, that no container runs more invocations than
// its slots (nor any before it is ready) and that busy cores equal the invocations running.
RC_GTEST_PROP(EngineProperty, ScalingPoliciesKeepNodesWithinCapacityAndFinishEveryInvocation, ()) {
  const RandomCase c = random_scaling_case();
  RC_TAG(c.config.scaling.substr(0, c.config.scaling.find(':')));
  run_and_check_accounting(c);
  RC_ASSERT(run_json(c) == run_json(c));  // deterministic
}

// The metrics folded on a thread of their own (SimConfig::metrics_thread) are the one-thread run's, bit
// for bit, on every path (presets, schedulers, scaling policies, both CPU models, drops).
RC_GTEST_PROP(EngineProperty, MetricsThreadGivesTheOneThreadResults, ()) {
  RandomCase c = *rc::gen::arbitrary<bool>() ? random_case() : random_scaling_case();
  c.config.measure_from_us = *rc::gen::inRange(0, 3) * model::minutes(5);
  auto w1 = workload(c.functions, c.calls, model::minutes(30));
  const SimResult one = run_simulation(w1, c.config);
  c.config.metrics_thread = true;
  c.config.metrics_batch = *rc::gen::inRange<std::size_t>(0, 9);  // small batches: many hand-overs
  auto w2 = workload(c.functions, c.calls, model::minutes(30));
  const SimResult two = run_simulation(w2, c.config);
  RC_ASSERT(testing::metrics_difference(one.metrics, two.metrics) == "");
  c.config.metrics_thread = false;
  const std::string json_one = run_json(c);
  c.config.metrics_thread = true;
  RC_ASSERT(run_json(c) == json_one);
}

}  // namespace
}  // namespace hearth::sim
