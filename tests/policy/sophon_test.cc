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

TEST_F(SophonFixture, AvailableMemoryIsWhatNeitherContainersNorPlacedWorkHold) {
  model::NodeState s;
  s.capacity_mb = 1000;
  s.used_mb = 300;
  s.reserved_mb = 100;
  EXPECT_EQ(SophonPlacement::available_mb(s), 700);
  s.reserved_mb = 600;  // placed work not yet in containers
  EXPECT_EQ(SophonPlacement::available_mb(s), 400);
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
  c.node(1).reserved_mb = 900;  // now available 100
  EXPECT_EQ(p->place({}, functions[0], c), 3u);
  c.node(3).healthy = false;
  EXPECT_EQ(p->place({}, functions[0], c), 1u);  // unhealthy holders are skipped
}

TEST_F(SophonFixture, WarmStickyRouteTakesTheFirstHolderOnTheStickySequence) {
  const PolicyContext context = ctx(5);
  OpenWhiskPlacement sticky(context);
  const std::uint32_t home = sticky.home(0), step = sticky.step(0);
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

// MC by hand (λ = 0.3, now = 100 s, the function needs 300 MB, capacity 1000 MB):
//   node 0: used 900, available 100, must free 200: its first victim (200 MB, idle 10 s) → e^−3 = 0.050
//   node 1: used 1000, must free 300: 100 MB idle 1 s (e^−0.3 = 0.741), then 200 MB idle 20 s
//           (e^−6 = 0.002) → 0.743
//   node 2: used 800, must free 100: its first victim (100 MB, idle 0 s) → 1
//   node 3: used 1000, must free 300 but holds only 200 MB idle → out
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
  for (model::NodeId n = 0; n < 3; ++n) c.node(n).used_mb = 900 + 10 * n;  // nothing to evict anywhere
  c.set_knows_eviction_order(true);
  EXPECT_EQ(make_placement("sophon:MA/MC,sample=0", context)->place({}, fs[0], c), 0u);
  // A view that does not know eviction order: MC answers as MA.
  c.set_knows_eviction_order(false);
  c.node(0).used_mb = 990;
  EXPECT_TRUE(std::isnan(SophonPlacement::eviction_cost(c, 0, 300, 0.3)));
  EXPECT_EQ(make_placement("sophon:MA/MC,sample=0", context)->place({}, fs[0], c), 1u);
}

TEST_F(SophonFixture, StickyMaxAvailableTradesStickinessAgainstLoad) {
  const PolicyContext context = ctx(5);
  OpenWhiskPlacement sticky(context);
  const std::uint32_t home = sticky.home(0), second = (home + sticky.step(0)) % 5;
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
  // Work queued at home (reserved 1500 of 1000 MB): 0.7 x 1.5 = 1.05 against 0.3 x 1/5 + 0.7 x 0.9 = 0.69.
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
    const int idle = *rc::gen::inRange(0, 3) == 0 ? 1 : 0;
    c.set_idle(i, 0, idle);
    any_healthy = any_healthy || c.node(i).healthy;
    healthy_holder = healthy_holder || (idle && c.node(i).healthy);
  }
  model::MegaBytes best_available = -1000000;
  for (const auto& s : c.nodes())
    if (s.healthy) best_available = std::max(best_available, SophonPlacement::available_mb(s));
  for (const char* spec : {"sophon:MA/MA", "sophon:SR/MA", "sophon:MA/MA,sample=2", "sophon:MA/MA,sample=0"}) {
    auto p = make_placement(spec, ctx);
    const auto node = p->place({}, functions[0], c);
    RC_ASSERT(node.has_value() == any_healthy);
    if (!node) continue;
    RC_ASSERT(c.nodes()[*node].healthy);
    if (healthy_holder) RC_ASSERT(c.idle_containers(*node, 0) > 0);
    else RC_ASSERT(SophonPlacement::available_mb(c.nodes()[*node]) <= best_available);
    if (!healthy_holder && std::string(spec) == "sophon:MA/MA,sample=0")
      RC_ASSERT(SophonPlacement::available_mb(c.nodes()[*node]) == best_available);
  }
}

// Property: unsampled MC answers a healthy node whose eviction cost is the minimum over healthy nodes,
// or, when every node's cost is infinite, MA's node.
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
    if (s.healthy) best = std::min(best, SophonPlacement::eviction_cost(c, s.id, functions[0].memory_mb, 0.3));
  const auto node = make_placement("sophon:MA/MC,sample=0", ctx)->place({}, functions[0], c);
  RC_ASSERT(node.has_value());
  RC_ASSERT(c.nodes()[*node].healthy);
  if (std::isfinite(best))
    RC_ASSERT(SophonPlacement::eviction_cost(c, *node, functions[0].memory_mb, 0.3) == best);
  else
    RC_ASSERT(*node == *make_placement("sophon:MA/MA,sample=0", ctx)->place({}, functions[0], c));
}

}  // namespace
}  // namespace hearth::policy
