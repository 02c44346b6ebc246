// Policies learn about functions deployed after they were built (on_function_added, docs/policies.md
// "Functions that appear later"): what they learned of the others survives, and adding functions one by
// one decides exactly as building with all of them known up front.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "policy/greedy_dual_keepalive.h"
#include "policy/hybrid_histogram_keepalive.h"
#include "policy/hyperfaas_scaling.h"
#include "policy/knative_scaling.h"
#include "policy/openwhisk_hash.h"
#include "policy/openwhisk_placement.h"
#include "policy/registry.h"
#include "tests/policy/fake_cluster.h"

namespace hearth::policy {
namespace {

using model::kMicrosPerSecond;
using testing::container;
using testing::fn;

PolicyContext context(std::span<const model::FunctionSpec> functions, std::uint32_t nodes = 1) {
  PolicyContext ctx;
  ctx.functions = functions;
  ctx.node_count = nodes;
  return ctx;
}

TEST(FunctionAdded, HybridHistogramKeepsTheHistogramOfAWhenBAppears) {
  const std::vector<model::FunctionSpec> only_a{fn(0, 100, 0, /*app=*/0)};
  const model::FunctionSpec b = fn(1, 100, 0, /*app=*/1);
  auto made = make_keepalive("hybrid-histogram", context(only_a));
  auto& h = dynamic_cast<HybridHistogramKeepAlive&>(*made);
  model::Micros t = 0;  // 12 idle times of 20 s (bin 0): a representative histogram, keep-alive 1.1 min
  for (int i = 0; i < 12; ++i) {
    h.on_idle(container(0, 0, 100), only_a[0], t);
    t += 20 * kMicrosPerSecond;
    h.on_arrival(only_a[0], t);
    t += 1000;
  }
  const auto before = h.windows(0);
  ASSERT_TRUE(before.representative);

  h.on_function_added(b);
  const auto after = h.windows(0);
  EXPECT_TRUE(after.representative);
  EXPECT_EQ(after.prewarm_us, before.prewarm_us);
  EXPECT_EQ(after.keepalive_us, before.keepalive_us);
  EXPECT_FALSE(h.windows(1).representative);  // B's app starts empty: the whole range
  EXPECT_EQ(h.on_idle(container(0, 1, 100), b, t).expires_us, t + 4 * model::kMicrosPerHour);
  // What a rebuild (the live dispatchers before this hook) would have left: nothing learned of A.
  const std::vector<model::FunctionSpec> both{only_a[0], b};
  auto rebuilt = make_keepalive("hybrid-histogram", context(both));
  EXPECT_FALSE(dynamic_cast<HybridHistogramKeepAlive&>(*rebuilt).windows(0).representative);
}

TEST(FunctionAdded, GreedyDualKeepsFrequenciesAndClocks) {
  const std::vector<model::FunctionSpec> only_a{fn(0, 100, 200'000)};
  const model::FunctionSpec b = fn(1, 50, 500'000);
  GreedyDualKeepAlive gd(context(only_a, 2));
  for (int i = 0; i < 3; ++i) gd.on_arrival(only_a[0], i);
  auto c0 = container(1, 0, 100);
  c0.priority = 6;
  gd.on_evict(c0, /*pressure=*/true, 4);  // clock of node 1 becomes 6

  gd.on_function_added(b);
  EXPECT_EQ(gd.frequency(0), 3u);
  EXPECT_EQ(gd.frequency(1), 0u);
  EXPECT_DOUBLE_EQ(gd.clock(1), 6);
  gd.on_arrival(b, 5);
  EXPECT_DOUBLE_EQ(gd.on_idle(container(1, 1, 50), b, 6).priority, 6 + 1 * 500.0 / 50);  // 16
  EXPECT_DOUBLE_EQ(gd.on_idle(container(1, 0, 100), only_a[0], 6).priority, 6 + 3 * 200.0 / 100);  // 12
}

TEST(FunctionAdded, OpenWhiskPlacementHashesTheNewFunctionAndKeepsTheOthers) {
  std::vector<model::FunctionSpec> fns{fn(0), fn(1)};
  fns[0].name = "guest/hello";
  fns[1].name = "guest/world";
  PolicyContext ctx = context(std::span(fns).first(1));
  StickySequence seq(ctx);
  EXPECT_EQ(seq.hash(0), openwhisk_function_hash("guest/hello", "guest"));
  seq.add(fns[1]);
  EXPECT_EQ(seq.hash(0), openwhisk_function_hash("guest/hello", "guest"));
  EXPECT_EQ(seq.hash(1), openwhisk_function_hash("guest/world", "guest"));
}

TEST(FunctionAdded, ScalingPoliciesKeepPerFunctionStateOfA) {
  const std::vector<model::FunctionSpec> only_a{fn(0)};
  auto made = make_scaling("knative", context(only_a));
  auto& k = dynamic_cast<KnativeScaling&>(*made);
  TickLoad a;
  a.function = 0;
  a.ready = 1;
  a.mean_concurrency = 60;  // 6 containers' worth for 1 ready: panic
  for (int i = 1; i <= 3; ++i) k.on_tick(std::span<const TickLoad>(&a, 1), model::seconds(2 * i));
  ASSERT_TRUE(k.panicking(0));
  k.on_function_added(fn(1));
  EXPECT_TRUE(k.panicking(0));
  EXPECT_FALSE(k.panicking(1));
  a.ready = 6;
  a.mean_concurrency = 0;  // still panicking: desired stays 6 (a rebuilt policy would answer 0)
  const auto targets = k.on_tick(std::span<const TickLoad>(&a, 1), model::seconds(8));
  ASSERT_EQ(targets.size(), 1u);
  EXPECT_EQ(targets[0].desired, 6);
}

// --- adding one by one == knowing all up front ---

// A random run over `n` functions: each step names a function, an event kind and a parameter.
struct Step {
  model::FunctionId function;
  int kind;
  int value;
};

std::vector<model::FunctionSpec> random_functions(std::uint32_t n) {
  std::vector<model::FunctionSpec> fns;
  for (model::FunctionId i = 0; i < n; ++i) {
    fns.push_back(fn(i, *rc::gen::inRange(64, 1024), *rc::gen::inRange(0, 2'000'000),
                     /*app=*/*rc::gen::inRange<model::AppId>(0, n)));
    fns.back().name = "ns" + std::to_string(*rc::gen::inRange(0, 3)) + "/a" + std::to_string(i);
  }
  return fns;
}

std::vector<Step> random_steps(std::uint32_t n) {
  const int count = *rc::gen::inRange(1, 200);
  std::vector<Step> steps;
  for (int i = 0; i < count; ++i)
    steps.push_back({*rc::gen::inRange<model::FunctionId>(0, n), *rc::gen::inRange(0, 4), *rc::gen::inRange(0, 2000)});
  return steps;
}

// Announces each function just before its first step (as the live dispatchers do).
struct Announcer {
  std::set<model::FunctionId> seen;
  template <class Policy>
  void before(Policy& p, const model::FunctionSpec& f) {
    if (seen.insert(f.id).second) p.on_function_added(f);
  }
};

RC_GTEST_PROP(FunctionAdded, PlacementDecidesAsIfAllFunctionsWereKnownUpFront, ()) {
  const auto n = *rc::gen::inRange<std::uint32_t>(1, 10);
  const auto nodes = *rc::gen::inRange<std::uint32_t>(1, 8);
  const std::string spec = *rc::gen::element<std::string>("openwhisk", "openwhisk:overload=wait,managed=0.5",
                                                         "sticky-ma", "sophon", "sophon:rules=SR/MC", "random",
                                                         "max-memory");
  const auto fns = random_functions(n);
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  PolicyContext all = context(fns, nodes), none = context({}, nodes);
  all.seed = none.seed = seed;
  auto up_front = make_placement(spec, all), incremental = make_placement(spec, none);
  testing::FakeCluster cluster(nodes, 2048);
  Announcer announce;
  for (const Step& s : random_steps(n)) {
    const model::NodeId node = static_cast<model::NodeId>(s.value) % nodes;
    if (s.kind == 0) cluster.node(node).reserved_mb = s.value;  // memory comes and goes
    if (s.kind == 1) cluster.set_idle(node, s.function, s.value % 3);
    if (s.kind == 2) cluster.node(node).healthy = s.value % 5 != 0;
    model::Invocation inv;
    inv.function = s.function;
    inv.arrival_us = cluster.now();
    announce.before(*incremental, fns[s.function]);
    RC_ASSERT(up_front->place(inv, fns[s.function], cluster) == incremental->place(inv, fns[s.function], cluster));
    cluster.set_now(cluster.now() + s.value);
  }
}

RC_GTEST_PROP(FunctionAdded, KeepAliveDecidesAsIfAllFunctionsWereKnownUpFront, ()) {
  const auto n = *rc::gen::inRange<std::uint32_t>(1, 10);
  const std::string spec =
      *rc::gen::element<std::string>("greedy-dual", "hybrid-histogram:min_samples=3", "ttl:10m", "lru", "openwhisk");
  const auto fns = random_functions(n);
  const auto nodes = *rc::gen::inRange<std::uint32_t>(1, 4);
  auto up_front = make_keepalive(spec, context(fns, nodes)), incremental = make_keepalive(spec, context({}, nodes));
  Announcer announce;
  model::Micros now = 0;
  for (const Step& s : random_steps(n)) {
    const model::FunctionSpec& f = fns[s.function];
    announce.before(*incremental, f);
    model::Container c = container(static_cast<model::NodeId>(s.value) % nodes, f.id, f.memory_mb);
    c.priority = s.value;
    now += static_cast<model::Micros>(s.value) * 100'000;  // up to 200 s between steps
    switch (s.kind) {
      case 0:
        up_front->on_arrival(f, now), incremental->on_arrival(f, now);
        break;
      case 1: {
        const IdleDecision a = up_front->on_idle(c, f, now), b = incremental->on_idle(c, f, now);
        RC_ASSERT(a.expires_us == b.expires_us);
        RC_ASSERT(a.priority == b.priority);
        RC_ASSERT(a.prewarm_at_us == b.prewarm_at_us);
        RC_ASSERT(a.prewarm_expires_us == b.prewarm_expires_us);
        break;
      }
      case 2:
        up_front->on_evict(c, s.value % 2 == 0, now), incremental->on_evict(c, s.value % 2 == 0, now);
        break;
      default:
        up_front->on_start(c, f, model::StartKind::kWarm, now), incremental->on_start(c, f, model::StartKind::kWarm, now);
    }
  }
}

RC_GTEST_PROP(FunctionAdded, ScalingDecidesAsIfAllFunctionsWereKnownUpFront, ()) {
  const auto n = *rc::gen::inRange<std::uint32_t>(1, 6);
  const std::string spec = *rc::gen::element<std::string>("knative", "hpa", "hyperfaas");
  const auto fns = random_functions(n);
  auto up_front = make_scaling(spec, context(fns)), incremental = make_scaling(spec, context({}));
  RC_ASSERT(up_front != nullptr);
  Announcer announce;
  testing::FakeCluster cluster(2);
  model::Micros now = 0;
  for (const Step& s : random_steps(n)) {
    now += up_front->tick_interval();
    announce.before(*incremental, fns[s.function]);
    if (s.kind < 2) {  // one tick with every function announced so far reporting a load
      std::vector<TickLoad> loads;
      for (model::FunctionId f : announce.seen) {
        TickLoad l;
        l.function = f;
        l.ready = (s.value + static_cast<int>(f)) % 5;
        l.in_flight = s.value % 7;
        l.mean_concurrency = (s.value % 97) / 3.0;
        l.mean_cores_used = (s.value % 13) / 4.0;
        loads.push_back(l);
      }
      const auto a = up_front->on_tick(loads, now), b = incremental->on_tick(loads, now);
      RC_ASSERT(a.size() == b.size());
      for (std::size_t i = 0; i < a.size(); ++i) {
        RC_ASSERT(a[i].function == b[i].function);
        RC_ASSERT(a[i].desired == b[i].desired);
        RC_ASSERT(a[i].slots == b[i].slots);
      }
    } else {  // an admission with one ready container
      ContainerLoad c;
      c.id = 1;
      c.active = s.value % 4;
      c.slots = 1 + s.value % 5;
      c.ready = true;
      FunctionLoad load;
      load.function = s.function;
      load.containers = std::span<const ContainerLoad>(&c, 1);
      load.buffered = s.value % 3;
      const Admission a = up_front->admit(fns[s.function], load, cluster, now);
      const Admission b = incremental->admit(fns[s.function], load, cluster, now);
      RC_ASSERT(a.container == b.container);
      RC_ASSERT(a.slots == b.slots);
      RC_ASSERT(a.scale_out == b.scale_out);
      RC_ASSERT(a.phase == b.phase);
    }
  }
}

}  // namespace
}  // namespace hearth::policy
