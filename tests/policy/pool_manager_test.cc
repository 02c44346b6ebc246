#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <vector>

#include "policy/hotc_pool_manager.h"
#include "policy/incendio_pool_manager.h"
#include "policy/pool_plan.h"
#include "policy/registry.h"
#include "tests/policy/fake_cluster.h"

namespace hearth::policy {
namespace {

using model::kMicrosPerMinute;
using model::seconds;
using testing::FakeCluster;

// Predicts what the test sets, per function.
class FakePredictor final : public ArrivalPredictor {
 public:
  explicit FakePredictor(std::map<model::FunctionId, double> arrivals) : arrivals_(std::move(arrivals)) {}
  std::string_view name() const override { return "fake"; }
  void on_arrival(model::FunctionId, model::Micros) override {}
  double predict_next_minute(model::FunctionId fn, model::Micros) override {
    const auto it = arrivals_.find(fn);
    return it == arrivals_.end() ? 0 : it->second;
  }

 private:
  std::map<model::FunctionId, double> arrivals_;
};

model::FunctionSpec spec(model::FunctionId id, model::MegaBytes mb, double init_s, double exec_s) {
  model::FunctionSpec f = testing::fn(id, mb);
  f.cold_start_us = static_cast<model::Micros>(init_s * 1e6);
  f.warm_us = static_cast<model::Micros>(exec_s * 1e6);
  return f;
}

model::Invocation invocation(model::FunctionId fn, model::Micros at) {
  model::Invocation inv;
  inv.function = fn;
  inv.arrival_us = at;
  return inv;
}

// (function, node) → (prewarm, terminate)
std::map<std::pair<model::FunctionId, model::NodeId>, std::pair<int, int>> by_key(const std::vector<PoolAction>& actions) {
  std::map<std::pair<model::FunctionId, model::NodeId>, std::pair<int, int>> out;
  for (const PoolAction& a : actions) out[{a.function, a.node}] = {a.prewarm, a.terminate};
  return out;
}

using Actions = std::map<std::pair<model::FunctionId, model::NodeId>, std::pair<int, int>>;

TEST(PoolPlan, PrewarmsOnTheFreestNodeAndTerminatesWhereMemoryIsShortest) {
  FakeCluster c(2, 1000);
  c.node(0).used_mb = 700;  // free 300
  c.node(1).used_mb = 400;  // free 600
  c.set_idle(0, 5, 1);
  c.set_idle(1, 5, 2);
  PoolPlan plan(c);
  EXPECT_EQ(plan.idle(5), 3);
  // 200 MB each: node 1 (600 → 400), node 1 (400 > 300 → 200), node 0 (300 > 200 → 100), node 1
  // (200 → 0), then neither 100 nor 0 holds one.
  EXPECT_EQ(plan.prewarm(7, 200, 5), 4);
  EXPECT_EQ(plan.terminate(5, 2), 2);  // node 0 first (free 300 < 600), then one on node 1
  EXPECT_EQ(plan.idle(5), 1);
  EXPECT_EQ(plan.terminate(5, 5), 1);  // only one idle left
  EXPECT_EQ(by_key(plan.take()), (Actions{{{5, 0}, {0, 1}}, {{5, 1}, {0, 2}}, {{7, 0}, {1, 0}}, {{7, 1}, {3, 0}}}));
}

TEST(IncendioPoolManager, KeepsWhileTheCostExceedsTheGapTerminatesOtherwiseAndPrewarms) {
  // f0 hot:    init 3 s, exec 6 s, λ 30 → gap 2 s < cost 3 s: keep; needed ⌈30·6/60⌉ = 3, 1 busy, 1 idle
  //            → keep it and prewarm 1.
  // f1 cool:   init 1 s, λ 6 → gap 10 s ≥ cost 1 s: its 2 idle (node 1) are terminated.
  // f2:        no predicted arrival: its idle container (node 0) is terminated.
  // f3 hot:    init 10 s, exec 1 s, λ 12 → gap 5 s < cost 10 s, needed ⌈12·1/60⌉ = 1, none busy, 3 idle
  //            → 2 surplus terminated, node 0 (less free memory) first, then node 1.
  FakeCluster c(2, 1000);
  c.node(0).used_mb = 500;
  c.node(1).used_mb = 200;
  c.set_idle(0, 0, 1);
  c.set_idle(1, 1, 2);
  c.set_idle(0, 2, 1);
  c.set_idle(0, 3, 1);
  c.set_idle(1, 3, 2);
  IncendioPoolManager m(std::make_unique<FakePredictor>(std::map<model::FunctionId, double>{{0, 30}, {1, 6}, {3, 12}}),
                        make_priority_model("param2"), IncendioPoolParams{});
  m.on_function_added(spec(0, 100, 3, 6));
  m.on_function_added(spec(1, 100, 1, 1));
  m.on_function_added(spec(2, 100, 1, 1));
  m.on_function_added(spec(3, 100, 10, 1));
  m.on_arrival(invocation(0, seconds(1)), seconds(1));
  m.on_started(invocation(0, seconds(1)), seconds(1));  // running
  EXPECT_EQ(m.tick_interval(), kMicrosPerMinute);
  EXPECT_EQ(by_key(m.on_tick(c, seconds(30))),
            (Actions{{{0, 1}, {1, 0}}, {{1, 1}, {0, 2}}, {{2, 0}, {0, 1}}, {{3, 0}, {0, 1}}, {{3, 1}, {0, 1}}}));
  // Once f0's request completes it needs two more, not one: prewarm 2 (node 1 is freest).
  m.on_completed(invocation(0, seconds(1)), model::StartKind::kCold, seconds(3), seconds(6), seconds(40));
  EXPECT_EQ((by_key(m.on_tick(c, seconds(90)))[{0, 1}]), (std::pair<int, int>{2, 0}));
}

TEST(IncendioPoolManager, NeverTerminatesTheIdleContainersWaitingRequestsWillTake) {
  // f0 unpredicted (λ 0) with 3 idle containers: all 3 go while nothing waits; with 2 requests waiting
  // (queued for CPU, say) only 1 goes. f1 hot (init 10 s, exec 60 s, λ 2 → gap 30 s < cost 10 s? no:
  // cost 10 s < gap 30 s, so nothing is kept for upcoming requests): 2 idle, 1 waiting → 1 terminated.
  FakeCluster c(1, 1000);
  c.set_idle(0, 0, 3);
  c.set_idle(0, 1, 2);
  IncendioPoolManager m(std::make_unique<FakePredictor>(std::map<model::FunctionId, double>{{1, 2}}),
                        make_priority_model("param2"), IncendioPoolParams{});
  m.on_function_added(spec(0, 100, 1, 1));
  m.on_function_added(spec(1, 100, 10, 60));
  EXPECT_EQ(by_key(m.on_tick(c, seconds(30))), (Actions{{{0, 0}, {0, 3}}, {{1, 0}, {0, 2}}}));
  for (int i = 0; i < 2; ++i) m.on_arrival(invocation(0, seconds(40)), seconds(40));
  m.on_arrival(invocation(1, seconds(40)), seconds(40));
  EXPECT_EQ(by_key(m.on_tick(c, seconds(90))), (Actions{{{0, 0}, {0, 1}}, {{1, 0}, {0, 1}}}));
  // One of f0's requests starts, the other is dropped (queue timeout): nothing waits, all 3 go again.
  m.on_started(invocation(0, seconds(40)), seconds(95));
  m.on_dropped(invocation(0, seconds(40)), seconds(95));
  EXPECT_EQ((by_key(m.on_tick(c, seconds(150)))[{0, 0}]), (std::pair<int, int>{0, 3}));
}

TEST(IncendioPoolManager, MeasuredResourcesReachItsFunctionInfoTable) {
  IncendioPoolManager m(std::make_unique<FakePredictor>(std::map<model::FunctionId, double>{}),
                        make_priority_model("param2"), IncendioPoolParams{});
  m.on_function_added(spec(0, 100, 1, 1));
  EXPECT_EQ(m.table().row(0, 0).memory_mb, 100);
  m.on_resources(0, 0.1, 40, 0.2);
  EXPECT_EQ(m.table().row(0, 0).memory_mb, 40);
  EXPECT_DOUBLE_EQ(m.table().row(0, 0).cpu_cores, 0.1);
}

TEST(IncendioPoolManager, UnpredictedKeepLeavesIdleContainersAlone) {
  FakeCluster c(1, 1000);
  c.set_idle(0, 0, 2);
  IncendioPoolParams p;
  p.terminate_unpredicted = false;
  IncendioPoolManager m(std::make_unique<FakePredictor>(std::map<model::FunctionId, double>{{0, 0.05}}),
                        make_priority_model("param2"), p);
  m.on_function_added(spec(0, 100, 1, 1));
  EXPECT_TRUE(m.on_tick(c, 0).empty());  // 0.05 < min 0.1: no predicted arrival, and keep was asked
}

TEST(IncendioPoolManager, MemoryGoesToTheHigherPriorityFirst) {
  // Both hot (λ 60 → gap 1 s), each needs 1 container of 100 MB; the node has 150 MB free.
  // param2: f1 (init 5 s) outranks f0 (init 2 s): 0.2·5 > 0.2·2, every other factor equal.
  FakeCluster c(1, 1000);
  c.node(0).used_mb = 850;
  IncendioPoolManager m(std::make_unique<FakePredictor>(std::map<model::FunctionId, double>{{0, 60}, {1, 60}}),
                        make_priority_model("param2"), IncendioPoolParams{});
  m.on_function_added(spec(0, 100, 2, 1));
  m.on_function_added(spec(1, 100, 5, 1));
  EXPECT_EQ(by_key(m.on_tick(c, 0)), (Actions{{{1, 0}, {1, 0}}}));
}

TEST(HotcPoolManager, MarkovCorrectedForecastSizesThePool) {
  // f0: exec 30 s. The fake forecast is always 4 a minute; the minutes hold 6, 2, 6 arrivals.
  FakeCluster c(1, 1000);
  HotcPoolManager m(std::make_unique<FakePredictor>(std::map<model::FunctionId, double>{{0, 4}}), HotcPoolParams{});
  m.on_function_added(spec(0, 100, 1, 30));
  const auto arrive = [&](int minute, int n) {
    for (int i = 0; i < n; ++i) {
      const model::Micros at = minute * kMicrosPerMinute + seconds(1 + i);
      m.on_arrival(invocation(0, at), at);
      m.on_completed(invocation(0, at), model::StartKind::kWarm, 0, seconds(30), at);
    }
  };
  arrive(0, 1);
  // Minute 0, nothing learned: target ⌈4·30/60⌉ = 2, nothing live: prewarm 2.
  EXPECT_EQ(by_key(m.on_tick(c, seconds(30))), (Actions{{{0, 0}, {2, 0}}}));
  arrive(1, 6);
  EXPECT_DOUBLE_EQ(m.corrected(0), 4);
  m.on_tick(c, seconds(90));   // forecasts minute 2
  arrive(2, 2);
  m.on_tick(c, seconds(150));  // scores minute 1: 6 vs 4, e = .5 → state 4
  arrive(3, 6);
  m.on_tick(c, seconds(210));  // scores minute 2: 2 vs 4, e = −.5 → state 1 (4 → 1)
  EXPECT_DOUBLE_EQ(m.corrected(0), 4);  // no transition out of state 1 yet
  // Scores minute 3: 6 vs 4 → state 4 (1 → 4). From state 4 the one transition went to state 1, mean
  // error −.5: corrected = 4 − .5·4 = 2, target ⌈2·30/60⌉ = 1; 3 idle, none busy → terminate 2.
  c.set_idle(0, 0, 3);
  EXPECT_EQ(by_key(m.on_tick(c, seconds(270))), (Actions{{{0, 0}, {0, 2}}}));
  EXPECT_DOUBLE_EQ(m.corrected(0), 2);
}

TEST(PoolManagerRegistry, BuildsByNameWithNestedPredictors) {
  std::vector<model::FunctionSpec> fns{spec(0, 100, 1, 1)};
  PolicyContext ctx;
  ctx.functions = fns;
  EXPECT_EQ(make_pool_manager("none", ctx), nullptr);
  auto inc = make_pool_manager("incendio:predictor=ewma:alpha=0.5,interval=30s,priority=param4", ctx);
  EXPECT_EQ(inc->name(), "incendio");
  EXPECT_EQ(inc->tick_interval(), seconds(30));
  EXPECT_EQ(dynamic_cast<IncendioPoolManager&>(*inc).predictor().name(), "ewma");
  auto hotc = make_pool_manager("hotc:bounds=-1/0/1", ctx);
  EXPECT_EQ(dynamic_cast<HotcPoolManager&>(*hotc).predictor().name(), "exp-smoothing");
  EXPECT_EQ(make_pool_manager("hotc:predictor=exp-smoothing:alpha=0.5", ctx)->name(), "hotc");
  const std::pair<const char*, const char*> bad[] = {
      {"incendio:interval=0s", "interval must be positive"},
      {"incendio:unpredicted=maybe", "unpredicted 'maybe' is not terminate or keep"},
      {"incendio:priority=param9", "unknown priority model 'param9'"},
      {"incendio:predictor=arima", "unknown predictor policy 'arima'"},
      {"hotc:bounds=1/0", "must be strictly ascending"},
      {"hotc:bounds=1/x", "'x' is not a number"},
      {"hotc:min=-1", "min must be 0 or positive"},
      {"lru", "unknown pool-manager policy 'lru' (incendio, hotc, none)"},
  };
  for (const auto& [text, expected] : bad) {
    std::string error = "no error";
    try {
      make_pool_manager(text, ctx);
    } catch (const std::invalid_argument& e) {
      error = e.what();
    }
    EXPECT_NE(error.find(expected), std::string::npos) << text << ": " << error;
  }
}

}  // namespace
}  // namespace hearth::policy
