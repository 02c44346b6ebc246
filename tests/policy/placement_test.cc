#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "policy/openwhisk_placement.h"
#include "policy/registry.h"
#include "policy/simple_placement.h"
#include "tests/policy/fake_cluster.h"

namespace hearth::policy {
namespace {

using testing::FakeCluster;
using testing::fn;

TEST(PairwiseCoprime, HandChecked) {
  using V = std::vector<std::uint32_t>;
  EXPECT_EQ(pairwise_coprime_numbers_until(1), (V{1}));
  EXPECT_EQ(pairwise_coprime_numbers_until(2), (V{1}));
  EXPECT_EQ(pairwise_coprime_numbers_until(3), (V{1, 2}));
  EXPECT_EQ(pairwise_coprime_numbers_until(4), (V{1, 3}));
  EXPECT_EQ(pairwise_coprime_numbers_until(5), (V{1, 2, 3}));
  EXPECT_EQ(pairwise_coprime_numbers_until(6), (V{1, 5}));
  EXPECT_EQ(pairwise_coprime_numbers_until(7), (V{1, 2, 3, 5}));
  EXPECT_EQ(pairwise_coprime_numbers_until(8), (V{1, 3, 5, 7}));
  EXPECT_EQ(pairwise_coprime_numbers_until(9), (V{1, 2, 5, 7}));
  EXPECT_EQ(pairwise_coprime_numbers_until(10), (V{1, 3, 7}));
  EXPECT_EQ(pairwise_coprime_numbers_until(11), (V{1, 2, 3, 5, 7}));
  EXPECT_EQ(pairwise_coprime_numbers_until(12), (V{1, 5, 7, 11}));
}

struct OpenWhiskFixture : ::testing::Test {
  std::vector<model::FunctionSpec> functions{fn(0, 100), fn(1, 100), fn(2, 100)};
  PolicyContext ctx() {
    PolicyContext c;
    c.node_count = 5;
    c.functions = functions;
    c.seed = 3;
    return c;
  }
};

TEST_F(OpenWhiskFixture, PicksHomeWhenItHasRoom) {
  OpenWhiskPlacement p(ctx());
  FakeCluster cluster(5);
  EXPECT_EQ(p.place({}, functions[0], cluster), p.home(0));
}

TEST_F(OpenWhiskFixture, ProbesByStepPastFullAndUnhealthyNodes) {
  OpenWhiskPlacement p(ctx());
  FakeCluster cluster(5);
  const std::uint32_t home = p.home(1), step = p.step(1);
  cluster.node(home).reserved_mb = 950;                   // full for a 100 MB function
  cluster.node((home + step) % 5).healthy = false;        // skipped
  EXPECT_EQ(p.place({}, functions[1], cluster), (home + 2 * step) % 5);
}

TEST_F(OpenWhiskFixture, AllFullFallsBackToARandomHealthyNode) {
  OpenWhiskPlacement a(ctx()), b(ctx());
  FakeCluster cluster(5);
  for (std::uint32_t i = 0; i < 5; ++i) cluster.node(i).reserved_mb = 1000;
  cluster.node(2).healthy = false;
  for (int i = 0; i < 50; ++i) {
    const auto x = a.place({}, functions[2], cluster), y = b.place({}, functions[2], cluster);
    ASSERT_TRUE(x.has_value());
    EXPECT_NE(*x, 2u);
    EXPECT_EQ(x, y);  // deterministic for a seed
  }
}

TEST_F(OpenWhiskFixture, NoHealthyNodeGivesNothing) {
  OpenWhiskPlacement p(ctx());
  FakeCluster cluster(5);
  for (std::uint32_t i = 0; i < 5; ++i) cluster.node(i).healthy = false;
  EXPECT_FALSE(p.place({}, functions[0], cluster).has_value());
}

TEST(MaxMemoryPlacement, MostUnreservedLowestIdOnTies) {
  MaxMemoryPlacement p;
  FakeCluster cluster(3);
  EXPECT_EQ(p.place({}, fn(0), cluster), 0u);
  cluster.node(0).reserved_mb = 500;
  EXPECT_EQ(p.place({}, fn(0), cluster), 1u);
  cluster.node(1).healthy = false;
  EXPECT_EQ(p.place({}, fn(0), cluster), 2u);
}

RC_GTEST_PROP(PlacementProperty, AlwaysAHealthyNodeWhenOneExists, ()) {
  const auto n = *rc::gen::inRange<std::uint32_t>(1, 20);
  std::vector<model::FunctionSpec> functions;
  for (model::FunctionId i = 0; i < 10; ++i) functions.push_back(fn(i, *rc::gen::inRange(1, 2000)));
  PolicyContext ctx;
  ctx.node_count = n;
  ctx.functions = functions;
  ctx.seed = *rc::gen::inRange<std::uint64_t>(0, 100);
  FakeCluster cluster(n);
  bool any_healthy = false;
  for (std::uint32_t i = 0; i < n; ++i) {
    cluster.node(i).healthy = *rc::gen::arbitrary<bool>();
    cluster.node(i).reserved_mb = *rc::gen::inRange(0, 1200);
    any_healthy = any_healthy || cluster.node(i).healthy;
  }
  for (const char* name : {"openwhisk", "random", "max-memory", "sophon:MA/MA", "sophon:SR/MA,sample=2", "sophon:MA/MC", "sophon:SR/MC,sample=0", "sticky-ma"}) {
    auto p = make_placement(name, ctx);
    for (const auto& f : functions) {
      const auto node = p->place({}, f, cluster);
      RC_ASSERT(node.has_value() == any_healthy);
      if (node) RC_ASSERT(cluster.nodes()[*node].healthy);
    }
  }
}

}  // namespace
}  // namespace hearth::policy
