// Invariants of the Function Info Table's Freq window and of the pool plans, on random inputs.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "policy/function_info_table.h"
#include "policy/incendio_pool_manager.h"
#include "policy/pool_plan.h"
#include "tests/policy/fake_cluster.h"

namespace hearth::policy {
namespace {

using model::kMicrosPerMinute;

RC_GTEST_PROP(FunctionInfoTableProperties, FreqCountsTheLastTenMinutesExactly, ()) {
  // Arrivals (non-decreasing) with queries in between, each at or after the arrivals so far.
  auto steps = *rc::gen::container<std::vector<std::pair<bool, int>>>(
      rc::gen::pair(rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 5 * 60)));  // advance by 0..5 min (s)
  FunctionInfoTable t;
  std::vector<model::Micros> arrivals;
  model::Micros now = 0;
  for (const auto& [arrive, advance_s] : steps) {
    now += model::seconds(advance_s);
    if (arrive) {
      t.on_arrival(0, now);
      arrivals.push_back(now);
      continue;
    }
    const std::int64_t m = now / kMicrosPerMinute;
    const auto in_window = std::count_if(arrivals.begin(), arrivals.end(), [&](model::Micros a) {
      const std::int64_t am = a / kMicrosPerMinute;
      return am >= m - 9 && am <= m;
    });
    RC_ASSERT(t.row(0, now).freq_per_min == static_cast<double>(in_window) / 10);
    if (!arrivals.empty()) RC_ASSERT(t.row(0, now).since_last_arrival_us == now - arrivals.back());
  }
}

RC_GTEST_PROP(PoolPlanProperties, NeverOvercommitsMemoryOrIdleContainers, ()) {
  const auto nodes = *rc::gen::inRange<std::uint32_t>(1, 5);
  testing::FakeCluster c(nodes, 1000);
  for (std::uint32_t n = 0; n < nodes; ++n) {
    c.node(n).used_mb = *rc::gen::inRange<model::MegaBytes>(0, 1001);
    c.node(n).healthy = *rc::gen::weightedElement<bool>({{4, true}, {1, false}});
    for (model::FunctionId f = 0; f < 3; ++f) c.set_idle(n, f, *rc::gen::inRange(0, 4));
  }
  PoolPlan plan(c);
  std::map<model::FunctionId, int> asked_terminate, got_terminate;
  const auto ops = *rc::gen::container<std::vector<std::tuple<bool, int, int>>>(
      rc::gen::tuple(rc::gen::arbitrary<bool>(), rc::gen::inRange(0, 3), rc::gen::inRange(0, 6)));
  for (const auto& [prewarm, f, count] : ops) {
    const auto fn = static_cast<model::FunctionId>(f);
    if (prewarm) {
      RC_ASSERT(plan.prewarm(fn, 100 + 50 * f, count) <= count);
    } else {
      const int before = plan.idle(fn), done = plan.terminate(fn, count);
      RC_ASSERT(done == std::min(before, count));
      RC_ASSERT(plan.idle(fn) == before - done);
    }
  }
  std::map<model::NodeId, model::MegaBytes> prewarmed_mb;
  for (const PoolAction& a : plan.take()) {
    prewarmed_mb[a.node] += a.prewarm * (100 + 50 * static_cast<model::MegaBytes>(a.function));
    RC_ASSERT(a.terminate <= c.idle_containers(a.node, a.function));
    if (a.prewarm > 0) RC_ASSERT(c.nodes()[a.node].healthy);
  }
  for (const auto& [node, mb] : prewarmed_mb) RC_ASSERT(mb <= c.nodes()[node].free_mb());
}

// Predicts a fixed random rate per function.
class FixedPredictor final : public ArrivalPredictor {
 public:
  explicit FixedPredictor(std::vector<double> rates) : rates_(std::move(rates)) {}
  std::string_view name() const override { return "fixed"; }
  void on_arrival(model::FunctionId, model::Micros) override {}
  double predict_next_minute(model::FunctionId fn, model::Micros) override { return rates_[fn]; }

 private:
  std::vector<double> rates_;
};

RC_GTEST_PROP(IncendioPoolManagerProperties, NeverPrewarmsAndTerminatesOneFunctionInOneTick, ()) {
  constexpr model::FunctionId kFunctions = 4;
  testing::FakeCluster c(2, 2000);
  std::vector<double> rates;
  for (model::FunctionId f = 0; f < kFunctions; ++f) {
    rates.push_back(*rc::gen::inRange(0, 2000) / 10.0);
    for (model::NodeId n = 0; n < 2; ++n) c.set_idle(n, f, *rc::gen::inRange(0, 4));
  }
  IncendioPoolManager m(std::make_unique<FixedPredictor>(rates), make_priority_model("param2"), IncendioPoolParams{});
  for (model::FunctionId f = 0; f < kFunctions; ++f) {
    model::FunctionSpec s = testing::fn(f, 200);
    s.cold_start_us = *rc::gen::inRange(0, 5000) * model::kMicrosPerMilli;
    s.warm_us = *rc::gen::inRange(1, 60000) * model::kMicrosPerMilli;
    m.on_function_added(s);
  }
  std::map<model::FunctionId, std::pair<int, int>> per_function;  // prewarm, terminate
  for (const PoolAction& a : m.on_tick(c, kMicrosPerMinute)) {
    per_function[a.function].first += a.prewarm;
    per_function[a.function].second += a.terminate;
    RC_ASSERT(a.terminate <= c.idle_containers(a.node, a.function));
  }
  for (const auto& [f, pt] : per_function) RC_ASSERT(pt.first == 0 || pt.second == 0);
}

}  // namespace
}  // namespace hearth::policy
