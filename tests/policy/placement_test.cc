#include <gtest/gtest.h>
#include <cstdint>
#include <rapidcheck/gtest.h>

#include "policy/openwhisk_hash.h"
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

// Java's String.hashCode, pinned to values `java` (JDK 17) printed for these strings.
TEST(OpenWhiskHash, JavaStringHashCode) {
  EXPECT_EQ(java_string_hash(""), 0);
  EXPECT_EQ(java_string_hash("hello"), 99162322);
  EXPECT_EQ(java_string_hash("guest"), 98708952);
  EXPECT_EQ(java_string_hash("guest/hello"), 86723035);
  EXPECT_EQ(java_string_hash("guest/fn0"), -889295951);                 // int32 wrap-around
  EXPECT_EQ(java_string_hash("polygenelubricants"), INT32_MIN);
  EXPECT_EQ(java_string_hash("guest/\u00e9"), 370024050);             // é: one UTF-16 unit (U+00E9)
  EXPECT_EQ(java_string_hash("guest/\U0001F600"), -1412390662);       // 😀: a surrogate pair
  EXPECT_EQ(java_string_hash("guest/\xff"), java_string_hash("guest/\uFFFD"));  // malformed → U+FFFD
}

// generateHash = (ns.hashCode ^ fqn.hashCode).abs; a name without '/' is guest/name.
TEST(OpenWhiskHash, ActionHash) {
  EXPECT_EQ(openwhisk_action_hash("guest", "guest/hello"), 13198339);  // 98708952 ^ 86723035
  EXPECT_EQ(openwhisk_function_hash("hello"), 13198339);
  EXPECT_EQ(openwhisk_function_hash("guest/hello"), 13198339);
  EXPECT_EQ(openwhisk_function_hash("fn0"), 820230551);                 // |98708952 ^ -889295951|
  // Int.MinValue.abs stays Int.MinValue: "" hashes to 0 and this name to Int.MinValue (checked in Java).
  EXPECT_EQ(openwhisk_action_hash("", "polygenelubricants"), INT32_MIN);
  EXPECT_EQ(openwhisk_function_hash("/wzqjv\u4918\ud7ed"), INT32_MIN);
}

// Sophon's experiment draws other hash assignments by the namespace of trace functions (--hash-namespace).
TEST(OpenWhiskHash, DefaultNamespaceOfTraceFunctions) {
  EXPECT_EQ(openwhisk_function_hash("fn0", "guest"), 820230551);
  EXPECT_EQ(openwhisk_function_hash("fn0", "guest2"), 579057513);  // |-1234989734 ^ -1797244365|
  EXPECT_EQ(openwhisk_function_hash("guest/hello", "guest2"), 13198339);  // a namespaced name keeps its own
}

TEST(OpenWhiskManaged, CountsAsOpenWhiskComputesThem) {
  EXPECT_EQ(managed_invokers(10, 0.9), 9u);   // ceil(9.0)
  EXPECT_EQ(managed_invokers(7, 0.9), 7u);    // ceil(6.3)
  EXPECT_EQ(managed_invokers(1, 0.9), 1u);
  EXPECT_EQ(managed_invokers(50, 0.9), 45u);
  EXPECT_EQ(managed_invokers(10, 0.01), 1u);  // at least one
  EXPECT_EQ(managed_invokers(10, 1.0), 10u);
}

// fn0/fn1/fn2 hash to 820230551/820230550/820230549 (Java). Over 5 nodes the step sizes are {1, 2, 3}:
//   fn0: home 820230551 % 5 = 1, step {1,2,3}[820230551 % 3 = 2] = 3 → sequence 1, 4, 2, 0, 3
//   fn1: home 0, step {1,2,3}[1] = 2 → 0, 2, 4, 1, 3;  fn2: home 4, step 1 → 4, 0, 1, 2, 3
struct OpenWhiskFixture : ::testing::Test {
  std::vector<model::FunctionSpec> functions{fn(0, 100), fn(1, 100), fn(2, 100)};
  PolicyContext ctx(std::uint32_t nodes = 5) {
    PolicyContext c;
    c.node_count = nodes;
    c.functions = functions;
    c.seed = 3;
    return c;
  }
};

TEST_F(OpenWhiskFixture, HomeAndStepByHand) {
  StickySequence seq(ctx());
  std::uint32_t home = 0, step = 0;
  ASSERT_TRUE(seq.over(0, 5, &home, &step));
  EXPECT_EQ(home, 1u);
  EXPECT_EQ(step, 3u);
  ASSERT_TRUE(seq.over(1, 5, &home, &step));
  EXPECT_EQ(home, 0u);
  EXPECT_EQ(step, 2u);
  ASSERT_TRUE(seq.over(2, 5, &home, &step));
  EXPECT_EQ(home, 4u);
  EXPECT_EQ(step, 1u);
}

TEST_F(OpenWhiskFixture, PicksHomeWhenItHasRoom) {
  OpenWhiskPlacement p(ctx());
  FakeCluster cluster(5);
  EXPECT_EQ(p.place({}, functions[0], cluster), 1u);
  EXPECT_EQ(p.place({}, functions[1], cluster), 0u);
  EXPECT_EQ(p.place({}, functions[2], cluster), 4u);
}

TEST_F(OpenWhiskFixture, ProbesByStepPastFullAndUnhealthyNodes) {
  OpenWhiskPlacement p(ctx());
  FakeCluster cluster(5);
  cluster.node(1).reserved_mb = 950;  // fn0's home: full for a 100 MB function
  cluster.node(4).healthy = false;    // its second: skipped
  EXPECT_EQ(p.place({}, functions[0], cluster), 2u);  // its third (1 + 2·3 mod 5)
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

TEST_F(OpenWhiskFixture, NonForcedSchedulingHoldsAtTheController) {
  OpenWhiskPlacement p(ctx(), 1.0, OpenWhiskPlacement::Overload::kWait);
  FakeCluster cluster(5);
  for (std::uint32_t i = 0; i < 5; ++i) cluster.node(i).reserved_mb = 950;
  EXPECT_EQ(p.place({}, functions[0], cluster), kHoldAtController);
  cluster.node(3).reserved_mb = 900;  // room on fn0's last probe
  EXPECT_EQ(p.place({}, functions[0], cluster), 3u);
  for (std::uint32_t i = 0; i < 5; ++i) cluster.node(i).healthy = false;
  EXPECT_FALSE(p.place({}, functions[0], cluster).has_value());  // nobody to wait for
  EXPECT_EQ(make_placement("openwhisk:overload=wait", ctx())->name(), "openwhisk");
  EXPECT_THROW(make_placement("openwhisk:overload=later", ctx()), std::invalid_argument);
  EXPECT_THROW(make_placement("openwhisk:managed=0", ctx()), std::invalid_argument);
}

// 10 invokers, managed 0.9: the first 9 are managed (the 10th, blackbox-only, is never used since no
// Hearth function is blackbox). fn2 hashes to 820230549: home 820230549 % 9 = 6, steps(9) = {1, 2, 5, 7},
// step = steps[820230549 % 4 = 1] = 2 → 6, 8, 1, 3, 5, 7, 0, 2, 4 — never 9.
TEST_F(OpenWhiskFixture, BlackboxInvokersAreReserved) {
  auto p = make_placement("openwhisk:managed=0.9", ctx(10));
  FakeCluster cluster(10);
  EXPECT_EQ(p->place({}, functions[2], cluster), 6u);
  for (std::uint32_t i : {6u, 8u, 1u}) cluster.node(i).reserved_mb = 1000;
  EXPECT_EQ(p->place({}, functions[2], cluster), 3u);
  for (std::uint32_t i = 0; i < 9; ++i) cluster.node(i).reserved_mb = 1000;  // node 9 is empty, but blackbox
  for (int i = 0; i < 100; ++i) {
    const auto node = p->place({}, functions[2], cluster);
    ASSERT_TRUE(node.has_value());
    EXPECT_LT(*node, 9u);  // forced onto a random managed invoker
  }
  // Without the reservation (managed=1, today's default) the empty tenth invoker takes it.
  EXPECT_EQ(make_placement("openwhisk", ctx(10))->place({}, functions[2], cluster), 9u);
}

// OpenWhisk indexes its invoker list with Int.MinValue % n < 0 and fails the activation; Hearth answers
// nullopt (dropped, kNoNode). With one node (MinValue % 1 = 0) it is placed.
TEST_F(OpenWhiskFixture, IntMinValueHashIsNotPlaceable) {
  std::vector<model::FunctionSpec> fs{fn(0, 100)};
  fs[0].name = "/wzqjv\u4918\ud7ed";
  PolicyContext c = ctx();
  c.functions = fs;
  FakeCluster cluster(5);
  EXPECT_FALSE(make_placement("openwhisk", c)->place({}, fs[0], cluster).has_value());
  EXPECT_FALSE(make_placement("sticky-ma", c)->place({}, fs[0], cluster).has_value());
  c.node_count = 1;
  FakeCluster one(1);
  EXPECT_EQ(make_placement("openwhisk", c)->place({}, fs[0], one), 0u);
}

TEST_F(OpenWhiskFixture, NoHealthyNodeGivesNothing) {
  OpenWhiskPlacement p(ctx());
  FakeCluster cluster(5);
  for (std::uint32_t i = 0; i < 5; ++i) cluster.node(i).healthy = false;
  EXPECT_FALSE(p.place({}, functions[0], cluster).has_value());
}

// The chapter (§4.3.1): Sticky-Max Available "reduces to ... Sticky-Random when α = 1". Same seed, same
// cluster, same calls: sticky-ma:alpha=1 answers exactly as openwhisk, the random fallback included.
RC_GTEST_PROP(StickyMaxAvailableProperty, AlphaOneIsStickyRandom, ()) {
  const auto n = *rc::gen::inRange<std::uint32_t>(1, 16);
  std::vector<model::FunctionSpec> functions;
  for (model::FunctionId i = 0; i < 8; ++i) functions.push_back(fn(i, *rc::gen::inRange(1, 1200)));
  PolicyContext ctx;
  ctx.node_count = n;
  ctx.functions = functions;
  ctx.seed = *rc::gen::arbitrary<std::uint64_t>();
  auto sticky_random = make_placement("openwhisk", ctx);
  auto sticky_ma = make_placement("sticky-ma:alpha=1", ctx);
  FakeCluster cluster(n);
  for (int round = 0; round < 20; ++round) {
    for (std::uint32_t i = 0; i < n; ++i) {
      cluster.node(i).healthy = *rc::gen::inRange(0, 8) != 0;
      cluster.node(i).reserved_mb = *rc::gen::inRange(0, 1300);
    }
    for (const auto& f : functions) RC_ASSERT(sticky_ma->place({}, f, cluster) == sticky_random->place({}, f, cluster));
  }
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
