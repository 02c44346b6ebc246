// Sophon placement: hand-worked cases for each rule, and the properties every rule keeps.
#include "policy/sophon_placement.h"

#include <gtest/gtest.h>
#include <cmath>
#include <limits>
#include <rapidcheck/gtest.h>

#include "policy/registry.h"
#include "tests/policy/fake_cluster.h"

namespace hearth::policy {
namespace {

using testing::FakeCluster;
using testing::fn;

struct SophonFixture : ::testing::Test {
  std::vector<model::FunctionSpec> functions{fn(0, 100), fn(1, 100)};
  PolicyContext ctx(std::uint32_t nodes) {
    PolicyContext c;
    c.node_count = nodes;
    c.functions = functions;
    c.seed = 7;
    return c;
  }
};

// The chapter's "available memory": total memory minus memory of active containers (§4.3.1); idle
// keep-alive containers and placed-but-queued work do not count against it.
TEST_F(SophonFixture, AvailableMemoryIsCapacityMinusActiveContainers) {
  FakeCluster c(1);
  c.node(0).used_mb = 900;
  c.add_victim(0, 600, 0);  // 600 MB of it idle: busy 300
  c.node(0).reserved_mb = 200;  // placed work: all of it running (reserved ≤ busy)
  EXPECT_EQ(c.busy_mb(0), 300);
  EXPECT_EQ(SophonPlacement::available_mb(c, 0), 700);
  c.node(0).reserved_mb = 800;  // placed work beyond what runs: it waits for active containers
  EXPECT_EQ(SophonPlacement::available_mb(c, 0), 200);
}

// A node full of idle containers is roomier than one with less memory held but all of it busy: MA ranks
// by active memory (the definition the chapter keeps), not by free memory (the one it rejects, §4.3.2).
TEST_F(SophonFixture, MaxAvailableIgnoresIdleContainers) {
  FakeCluster c(2);
  c.node(0).used_mb = 900;  // 800 MB idle, 100 MB busy: available 900, free 100
  c.add_victim(0, 800, 0);
  c.node(1).used_mb = 300;  // all busy: available 700, free 700
  auto p = make_placement("sophon:MA/MA,sample=0", ctx(2));
  EXPECT_EQ(p->place({}, functions[0], c), 0u);
  c.set_idle(1, 0, 1);  // warm MA among holders: only node 1 holds one
  EXPECT_EQ(p->place({}, functions[0], c), 1u);
  c.set_idle(0, 0, 1);  // both hold one: the more available, node 0
  EXPECT_EQ(p->place({}, functions[0], c), 0u);
}

// The fit check (§4.4.1: "an Invoker needs to have at least the memory required"): with a sample of one,
// the draw is among the nodes where the function fits, so the only fitting node is always chosen; a
// holder where it does not fit is no warm candidate.
TEST_F(SophonFixture, OnlyNodesWhereTheInvocationFits) {
  std::vector<model::FunctionSpec> fs{fn(0, 300)};
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    PolicyContext context = ctx(3);
    context.functions = fs;
    context.seed = seed;
    FakeCluster c(3);
    c.set_busy(0, 800);  // available 200 < 300
    c.set_busy(1, 750);  // available 250 < 300
    c.set_busy(2, 700);  // available 300: fits exactly
    EXPECT_EQ(make_placement("sophon:MA/MA,sample=1", context)->place({}, fs[0], c), 2u);
    EXPECT_EQ(make_placement("sophon:MA/MC,sample=1", context)->place({}, fs[0], c), 2u);
    c.set_idle(0, 0, 1);  // a holder where it does not fit: the cold rule decides
    EXPECT_EQ(make_placement("sophon:SR/MA,sample=1", context)->place({}, fs[0], c), 2u);
    // Nowhere fits: the node with the most available memory, where it waits least.
    c.set_busy(2, 900);
    EXPECT_EQ(make_placement("sophon:MA/MA,sample=1", context)->place({}, fs[0], c), 1u);
  }
}

// Ties: four identical nodes. Not always node 0: each is chosen, and a seed fixes the sequence.
TEST_F(SophonFixture, TiesAreBrokenAtRandomBySeed) {
  FakeCluster c(4);
  for (const char* spec : {"sophon:MA/MA,sample=0", "sophon:MA/MC,sample=0", "sophon:MA/MA"}) {
    auto a = make_placement(spec, ctx(4)), b = make_placement(spec, ctx(4));
    std::vector<int> chosen(4, 0);
    for (int i = 0; i < 200; ++i) {
      const auto x = a->place({}, functions[0], c);
      ASSERT_TRUE(x.has_value());
      EXPECT_EQ(x, b->place({}, functions[0], c)) << spec;
      ++chosen[*x];
    }
    for (int n : chosen) EXPECT_GT(n, 20) << spec;  // ~50 each
  }
  // Warm MA: three equally available holders.
  for (model::NodeId n : {0u, 2u, 3u}) c.set_idle(n, 0, 1);
  auto p = make_placement("sophon:MA/MA", ctx(4));
  std::vector<int> chosen(4, 0);
  for (int i = 0; i < 150; ++i) ++chosen[*p->place({}, functions[0], c)];
  EXPECT_EQ(chosen[1], 0);
  for (model::NodeId n : {0u, 2u, 3u}) EXPECT_GT(chosen[n], 20);
}

// Warm MA samples among the holders as cold MA among the candidates (§4.4.3: MA and MC sample).
TEST_F(SophonFixture, WarmMaxAvailableSamplesHolders) {
  FakeCluster c(3);
  for (model::NodeId n = 0; n < 3; ++n) c.set_idle(n, 0, 1);
  c.set_busy(0, 0), c.set_busy(1, 100), c.set_busy(2, 200);
  EXPECT_EQ(make_placement("sophon:MA/MA,sample=0", ctx(3))->place({}, functions[0], c), 0u);
  auto sampled = make_placement("sophon:MA/MA,sample=1", ctx(3));
  std::vector<int> chosen(3, 0);
  for (int i = 0; i < 150; ++i) ++chosen[*sampled->place({}, functions[0], c)];
  for (int n : chosen) EXPECT_GT(n, 20);  // a sample of one is a uniform holder
}

TEST_F(SophonFixture, WarmMaxAvailablePicksTheRoomiestHolder) {
  FakeCluster c(4);
  c.set_idle(1, 0, 1);
  c.set_idle(3, 0, 2);
  c.node(1).used_mb = 200;  // available 800
  c.node(3).used_mb = 500;  // available 500
  c.node(2).used_mb = 0;    // roomiest, but holds no idle container of fn 0
  auto p = make_placement("sophon:MA/MA", ctx(4));
  EXPECT_EQ(p->place({}, functions[0], c), 1u);
  c.set_busy(1, 900);  // now available 100
  EXPECT_EQ(p->place({}, functions[0], c), 3u);
  c.node(3).healthy = false;
  EXPECT_EQ(p->place({}, functions[0], c), 1u);  // unhealthy holders are skipped
}

TEST_F(SophonFixture, WarmStickyRouteTakesTheFirstHolderOnTheStickySequence) {
  const PolicyContext context = ctx(5);
  StickySequence sticky(context);
  std::uint32_t home = 0, step = 0;
  ASSERT_TRUE(sticky.over(0, 5, &home, &step));
  const std::uint32_t second = (home + step) % 5, third = (home + 2 * step) % 5;
  FakeCluster c(5);
  c.set_idle(third, 0, 1);
  c.set_idle(second, 0, 1);
  c.node(third).used_mb = 0;
  c.node(second).used_mb = 900;  // fuller, but earlier on the sequence
  auto p = make_placement("sophon:SR/MA", context);
  EXPECT_EQ(p->place({}, functions[0], c), second);
  c.set_idle(home, 0, 1);
  EXPECT_EQ(p->place({}, functions[0], c), home);
}

TEST_F(SophonFixture, ColdMaxAvailableOverAllNodesWhenNotSampling) {
  FakeCluster c(4);
  for (model::NodeId n = 0; n < 4; ++n) c.node(n).used_mb = 100 * (4 - n);  // node 3 is the emptiest
  c.set_idle(0, 1, 1);  // an idle container of another function changes nothing for fn 0
  auto p = make_placement("sophon:MA/MA,sample=0", ctx(4));
  EXPECT_EQ(p->place({}, functions[0], c), 3u);
  c.node(3).healthy = false;
  EXPECT_EQ(p->place({}, functions[0], c), 2u);
}

TEST_F(SophonFixture, SpecsAreValidated) {
  EXPECT_THROW(make_placement("sophon:MC/MA", ctx(2)), std::invalid_argument);
  EXPECT_THROW(make_placement("sophon:MA/MA,sample=-1", ctx(2)), std::invalid_argument);
  EXPECT_THROW(make_placement("sophon:MA/MC,lambda=-1", ctx(2)), std::invalid_argument);
  try {
    make_placement("sophon:MA/XX", ctx(2));
    FAIL() << "XX accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("cold rule 'XX' in 'MA/XX' is not MA or MC"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(make_placement("sophon", ctx(2)));  // MA/MA, sample 10
  EXPECT_NO_THROW(make_placement("sophon:SR/MC,sample=3,lambda=0.5", ctx(2)));
}

// MC by hand (λ = 0.3, now = 100 s, the function needs 300 MB, capacity 1000 MB; the busy memory set
// below makes nodes 0-2 fit and ranks their available memory 2 > 1 > 0; node 3 does not fit):
//   node 0: used 900, free 100, must free 200: its first victim (200 MB, idle 10 s) → e^−3 = 0.050
//   node 1: used 1000, must free 300: 100 MB idle 1 s (e^−0.3 = 0.741), then 200 MB idle 20 s
//           (e^−6 = 0.002) → 0.743
//   node 2: used 800, must free 100: its first victim (100 MB, idle 0 s) → 1
//   node 3: used 1000, must free 300 but holds only 200 MB idle → out (and it does not fit)
// MC picks node 0; MA (most available) would pick node 2.
TEST_F(SophonFixture, ColdMinCostPicksTheCheapestEvictions) {
  const model::Micros s = 1'000'000;
  FakeCluster c(4);
  c.set_now(100 * s);
  std::vector<model::FunctionSpec> fs{fn(0, 300)};
  PolicyContext context = ctx(4);
  context.functions = fs;
  c.node(0).used_mb = 900;
  c.add_victim(0, 200, 90 * s);
  c.add_victim(0, 500, 0);  // never reached: 200 MB already cover the shortfall
  c.node(1).used_mb = 1000;
  c.add_victim(1, 100, 99 * s);
  c.add_victim(1, 200, 80 * s);
  c.node(2).used_mb = 800;
  c.add_victim(2, 100, 100 * s);
  c.node(3).used_mb = 1000;
  c.add_victim(3, 200, 0);
  c.set_busy(0, 200), c.set_busy(1, 100), c.set_busy(2, 0), c.set_busy(3, 800);
  EXPECT_NEAR(SophonPlacement::eviction_cost(c, 0, 300, 0.3), std::exp(-3.0), 1e-9);
  EXPECT_NEAR(SophonPlacement::eviction_cost(c, 1, 300, 0.3), std::exp(-0.3) + std::exp(-6.0), 1e-9);
  EXPECT_NEAR(SophonPlacement::eviction_cost(c, 2, 300, 0.3), 1.0, 1e-9);
  EXPECT_EQ(SophonPlacement::eviction_cost(c, 3, 300, 0.3), std::numeric_limits<double>::infinity());
  EXPECT_EQ(make_placement("sophon:MA/MC,sample=0", context)->place({}, fs[0], c), 0u);
  EXPECT_EQ(make_placement("sophon:MA/MA,sample=0", context)->place({}, fs[0], c), 2u);
  // With λ = 0 every victim costs 1: node 0 (one victim) and node 2 (one) tie; the roomier, node 2, wins.
  EXPECT_EQ(make_placement("sophon:MA/MC,sample=0,lambda=0", context)->place({}, fs[0], c), 2u);
  // A node with room costs nothing, whatever its victims.
  c.node(1).used_mb = 600;
  EXPECT_EQ(SophonPlacement::eviction_cost(c, 1, 300, 0.3), 0.0);
  EXPECT_EQ(make_placement("sophon:MA/MC,sample=0", context)->place({}, fs[0], c), 1u);
}

TEST_F(SophonFixture, ColdMinCostFallsBackToMaxAvailable) {
  FakeCluster c(3);
  std::vector<model::FunctionSpec> fs{fn(0, 300)};
  PolicyContext context = ctx(3);
  context.functions = fs;
  for (model::NodeId n = 0; n < 3; ++n) {
    c.node(n).used_mb = 900 + 10 * n;  // free 100, 90, 80 and nothing to evict: every cost is infinite
    c.set_busy(n, 10 * n);            // (a view may lag; the policy believes it) available 1000, 990, 980
  }
  c.set_knows_eviction_order(true);
  EXPECT_EQ(make_placement("sophon:MA/MC,sample=0", context)->place({}, fs[0], c), 0u);
  // A view that does not know eviction order: MC answers as MA.
  c.set_knows_eviction_order(false);
  c.set_busy(0, 20);
  EXPECT_TRUE(std::isnan(SophonPlacement::eviction_cost(c, 0, 300, 0.3)));
  EXPECT_EQ(make_placement("sophon:MA/MC,sample=0", context)->place({}, fs[0], c), 1u);
}

// Why MA/MC and MA/MA give the same results under the synthetic workload (docs/sophon.md): the cold
// rules can differ only in one of three regimes. By hand, λ = 0.3, now = 100 s, the function needs
// 300 MB, capacity 1000 MB, two nodes:
//   1. nothing must be evicted: node 0 busy 400 (free 600), node 1 busy 200 with 300 MB idle since 99 s
//      (used 500, free 500): every cost is 0, MC's tie rule (most available) is MA's rule → node 1 both;
//   2. a candidate must evict: node 0 used 1000 = busy 200 + 800 MB idle since 99 s (cost e^−0.3 = 0.74),
//      node 1 used 1000 = busy 400 + 600 MB idle since 0 s (cost e^−30): MA takes the roomier node 0
//      (available 800 > 600), MC the cheaper node 1, sparing a container used a second ago;
//   3. no candidate: busy 900 and 800, the function fits nowhere: both take the most available, node 1.
// The decision counts name the regime of every cold decision (`hearth sim --json`: placement_decisions).
TEST_F(SophonFixture, ColdRulesDifferOnlyWhenACandidateMustEvict) {
  const model::Micros s = 1'000'000;
  std::vector<model::FunctionSpec> fs{fn(0, 300)};
  PolicyContext context = ctx(2);
  context.functions = fs;
  auto ma = make_placement("sophon:MA/MA,sample=0,ties=lowest", context);
  auto mc = make_placement("sophon:MA/MC,sample=0,ties=lowest", context);
  const auto count = [](const PlacementPolicy& p, std::string_view name) {
    for (const DecisionCount& d : p.decision_counts())
      if (d.name == name) return d.count;
    ADD_FAILURE() << "no decision count named " << name;
    return std::uint64_t{0};
  };
  {
    FakeCluster c(2);
    c.set_now(100 * s);
    c.node(0).used_mb = 400;
    c.node(1).used_mb = 500;
    c.add_victim(1, 300, 99 * s);
    EXPECT_EQ(SophonPlacement::eviction_cost(c, 0, 300, 0.3), 0.0);
    EXPECT_EQ(SophonPlacement::eviction_cost(c, 1, 300, 0.3), 0.0);
    EXPECT_EQ(ma->place({}, fs[0], c), 1u);
    EXPECT_EQ(mc->place({}, fs[0], c), 1u);
  }
  {
    FakeCluster c(2);
    c.set_now(100 * s);
    c.node(0).used_mb = 1000;
    c.add_victim(0, 800, 99 * s);
    c.node(1).used_mb = 1000;
    c.add_victim(1, 600, 0);
    EXPECT_NEAR(SophonPlacement::eviction_cost(c, 0, 300, 0.3), std::exp(-0.3), 1e-9);
    EXPECT_NEAR(SophonPlacement::eviction_cost(c, 1, 300, 0.3), std::exp(-30.0), 1e-18);
    EXPECT_EQ(ma->place({}, fs[0], c), 0u);
    EXPECT_EQ(mc->place({}, fs[0], c), 1u);
  }
  {
    FakeCluster c(2);
    c.node(0).used_mb = 900;
    c.node(1).used_mb = 800;
    EXPECT_EQ(ma->place({}, fs[0], c), 1u);
    EXPECT_EQ(mc->place({}, fs[0], c), 1u);
  }
  for (const PlacementPolicy* p : {ma.get(), mc.get()}) {
    EXPECT_EQ(count(*p, "warm"), 0u);
    EXPECT_EQ(count(*p, "cold"), 3u);
    EXPECT_EQ(count(*p, "cold_no_eviction"), 1u);
    EXPECT_EQ(count(*p, "cold_must_evict"), 1u);
    EXPECT_EQ(count(*p, "cold_no_candidate"), 1u);
  }
  // Only MC can move a decision away from the roomiest node; here it spared a container idle 1 s (at
  // least as costly as one idle a minute, e^−18: "recent").
  EXPECT_EQ(count(*mc, "cold_mc_elsewhere"), 1u);
  EXPECT_EQ(count(*mc, "cold_mc_elsewhere_recent"), 1u);
  EXPECT_EQ(count(*ma, "cold_mc_elsewhere"), 0u);
  // A warm decision is counted as such.
  FakeCluster c(2);
  c.set_idle(0, 0, 1);
  EXPECT_EQ(mc->place({}, fs[0], c), 0u);
  EXPECT_EQ(count(*mc, "warm"), 1u);
  EXPECT_EQ(count(*mc, "cold"), 3u);
}

TEST_F(SophonFixture, StickyMaxAvailableTradesStickinessAgainstLoad) {
  const PolicyContext context = ctx(5);
  StickySequence sticky(context);
  std::uint32_t home = 0, step = 0;
  ASSERT_TRUE(sticky.over(0, 5, &home, &step));
  const std::uint32_t second = (home + step) % 5;
  FakeCluster c(5);  // 1000 MB each
  for (model::NodeId n = 0; n < 5; ++n) c.node(n).reserved_mb = 900;  // load 0.9 everywhere...
  c.node(second).reserved_mb = 0;                                     // ...but nothing runs on the second
  c.node(second).used_mb = 1000;  // (its memory full of idle containers, which a node-grained view ignores)
  // alpha 0.3: home scores 0.7 x 0.9 = 0.63; second scores 0.3 x 1/5 + 0 = 0.06.
  EXPECT_EQ(make_placement("sticky-ma", context)->place({}, functions[0], c), second);
  // alpha 1: stickiness only, the home node.
  EXPECT_EQ(make_placement("sticky-ma:alpha=1", context)->place({}, functions[0], c), home);
  // Equal load everywhere: the home node (d = 0) wins at any alpha > 0.
  c.node(second).reserved_mb = 900;
  EXPECT_EQ(make_placement("sticky-ma", context)->place({}, functions[0], c), home);
  // Home's semaphore without room (reserved 950 of 1000 MB for a 100 MB function): not a candidate,
  // even at alpha 1 (Sticky-Random probes on), although its score 0.7 x 0.95 = 0.665 would still win.
  c.node(home).reserved_mb = 950;
  EXPECT_EQ(make_placement("sticky-ma", context)->place({}, functions[0], c), second);
  EXPECT_EQ(make_placement("sticky-ma:alpha=1", context)->place({}, functions[0], c), second);
  // No node with room: OpenWhisk's fallback, a random healthy node.
  for (model::NodeId n = 0; n < 5; ++n) c.node(n).reserved_mb = 1000;
  EXPECT_TRUE(make_placement("sticky-ma", context)->place({}, functions[0], c).has_value());
  for (model::NodeId n = 0; n < 5; ++n) c.node(n).reserved_mb = 900;
  c.node(second).reserved_mb = 0;
  c.node(home).reserved_mb = 1500;
  EXPECT_EQ(make_placement("sticky-ma", context)->place({}, functions[0], c), second);
  c.node(home).reserved_mb = 900;
  c.node(home).healthy = false;
  EXPECT_EQ(make_placement("sticky-ma", context)->place({}, functions[0], c), second);
  EXPECT_THROW(make_placement("sticky-ma:alpha=1.5", context), std::invalid_argument);
}

// Properties: the answer is a healthy node (nullopt only when none is); with an idle container on a
// healthy node the warm rules answer a holder; a sampled cold MA never beats the unsampled one.
RC_GTEST_PROP(SophonProperties, HealthyHoldersAndSampling, ()) {
  const auto n = *rc::gen::inRange<std::uint32_t>(1, 12);
  std::vector<model::FunctionSpec> functions{fn(0, 100)};
  PolicyContext ctx;
  ctx.node_count = n;
  ctx.functions = functions;
  ctx.seed = *rc::gen::arbitrary<std::uint32_t>();
  FakeCluster c(n);
  bool any_healthy = false, healthy_holder = false;
  for (std::uint32_t i = 0; i < n; ++i) {
    c.node(i).healthy = *rc::gen::arbitrary<bool>();
    c.node(i).used_mb = *rc::gen::inRange(0, 1000);
    c.node(i).reserved_mb = *rc::gen::inRange(0, 1200);
    c.set_busy(i, *rc::gen::inRange<model::MegaBytes>(0, c.node(i).used_mb + 1));
    const int idle = *rc::gen::inRange(0, 3) == 0 ? 1 : 0;
    c.set_idle(i, 0, idle);
    any_healthy = any_healthy || c.node(i).healthy;
    healthy_holder = healthy_holder || (idle && c.node(i).healthy && SophonPlacement::available_mb(c, i) >= 100);
  }
  model::MegaBytes best_available = -1000000;
  for (const auto& s : c.nodes())
    if (s.healthy) best_available = std::max(best_available, SophonPlacement::available_mb(c, s.id));
  for (const char* spec : {"sophon:MA/MA", "sophon:SR/MA", "sophon:MA/MA,sample=2", "sophon:MA/MA,sample=0"}) {
    auto p = make_placement(spec, ctx);
    const auto node = p->place({}, functions[0], c);
    RC_ASSERT(node.has_value() == any_healthy);
    if (!node) continue;
    RC_ASSERT(c.nodes()[*node].healthy);
    if (healthy_holder) RC_ASSERT(c.idle_containers(*node, 0) > 0);
    else RC_ASSERT(SophonPlacement::available_mb(c, *node) <= best_available);
    if (healthy_holder || best_available >= 100) RC_ASSERT(SophonPlacement::available_mb(c, *node) >= 100);  // fits
    if (!healthy_holder && std::string(spec) == "sophon:MA/MA,sample=0")
      RC_ASSERT(SophonPlacement::available_mb(c, *node) == best_available);
  }
}

// Property: unsampled MC answers a healthy node whose eviction cost is the minimum over the healthy nodes
// where the function fits, or, when every such node's cost is infinite, a node as available as MA's.
RC_GTEST_PROP(SophonProperties, MinCostIsMinimal, ()) {
  const auto n = *rc::gen::inRange<std::uint32_t>(1, 10);
  std::vector<model::FunctionSpec> functions{fn(0, *rc::gen::inRange(1, 600))};
  PolicyContext ctx;
  ctx.node_count = n;
  ctx.functions = functions;
  ctx.seed = *rc::gen::arbitrary<std::uint32_t>();
  FakeCluster c(n);
  c.set_now(60'000'000);
  c.set_knows_eviction_order(true);
  for (std::uint32_t i = 0; i < n; ++i) {
    c.node(i).healthy = i == 0 || *rc::gen::arbitrary<bool>();
    c.node(i).used_mb = *rc::gen::inRange(0, 1001);
    for (int v = *rc::gen::inRange(0, 5); v > 0; --v)
      c.add_victim(i, *rc::gen::inRange(1, 300), *rc::gen::inRange<model::Micros>(0, 60'000'000));
  }
  double best = std::numeric_limits<double>::infinity();
  for (const auto& s : c.nodes())
    if (s.healthy && SophonPlacement::available_mb(c, s.id) >= functions[0].memory_mb)
      best = std::min(best, SophonPlacement::eviction_cost(c, s.id, functions[0].memory_mb, 0.3));
  const auto node = make_placement("sophon:MA/MC,sample=0", ctx)->place({}, functions[0], c);
  RC_ASSERT(node.has_value());
  RC_ASSERT(c.nodes()[*node].healthy);
  if (std::isfinite(best))
    RC_ASSERT(SophonPlacement::eviction_cost(c, *node, functions[0].memory_mb, 0.3) == best);
  else
    RC_ASSERT(SophonPlacement::available_mb(c, *node) ==
              SophonPlacement::available_mb(c, *make_placement("sophon:MA/MA,sample=0", ctx)->place({}, functions[0], c)));
}

}  // namespace
}  // namespace hearth::policy
