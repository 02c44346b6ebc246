// Hand-worked decisions of the scaling policies (policy/knative_scaling.h, policy/hyperfaas_scaling.h).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "policy/hyperfaas_scaling.h"
#include "policy/knative_scaling.h"
#include "policy/registry.h"
#include "tests/policy/fake_cluster.h"

namespace hearth::policy {
namespace {

using model::seconds;
using testing::FakeCluster;

TickLoad tick_load(model::FunctionId fn, int ready, double mean) {
  TickLoad l;
  l.function = fn;
  l.ready = ready;
  l.mean_concurrency = mean;
  return l;
}

// One tick of one function at time `t`; returns its desired container count.
int tick(KnativeScaling& k, model::Micros t, int ready, double mean) {
  const TickLoad l = tick_load(0, ready, mean);
  const auto targets = k.on_tick(std::span<const TickLoad>(&l, 1), t);
  EXPECT_EQ(targets.size(), 1u);
  return targets.empty() ? -1 : targets[0].desired;
}

KnativeParams knative_defaults() {
  KnativeParams p;  // target 10, stable 60 s, panic 6 s, threshold 200 %, tick 2 s
  return p;
}

TEST(KnativeScaling, DesiredIsStableWindowMeanOverTarget) {
  KnativeScaling k(knative_defaults());
  // 30 ticks (the 60-s stable window) at a mean concurrency of 25 with 3 ready containers: the panic
  // window mean 25 is 2.5 containers' worth, under 200 % of 3, so desired = ceil(25 / 10) = 3.
  int desired = 0;
  for (int i = 1; i <= 30; ++i) desired = tick(k, seconds(2 * i), 3, 25);
  EXPECT_EQ(desired, 3);
  EXPECT_FALSE(k.panicking(0));
  // Half of the window at 25, half at 5: mean 15 → 2 containers (scale-down by at most ready / 2 = 1).
  for (int i = 31; i <= 45; ++i) desired = tick(k, seconds(2 * i), 3, 5);
  EXPECT_EQ(desired, 2);
}

TEST(KnativeScaling, ADemandBeyondInt32ContainersIsTheMostNotNone) {
  KnativeParams p = knative_defaults();
  p.target = 1e-9;  // concurrency 10 over this target: 1e10 containers, past int32
  KnativeScaling k(p);
  EXPECT_EQ(tick(k, seconds(2), 1, 10.0), std::numeric_limits<std::int32_t>::max());
}

TEST(KnativeScaling, PanicStartsAtTwiceTheReadyCapacity) {
  {
    KnativeScaling k(knative_defaults());
    // Panic window = 3 ticks at 19.9 each: 1.99 containers' worth for 1 ready: under 200 %.
    for (int i = 1; i <= 3; ++i) tick(k, seconds(2 * i), 1, 19.9);
    EXPECT_FALSE(k.panicking(0));
  }
  KnativeScaling k(knative_defaults());
  int desired = 0;
  for (int i = 1; i <= 3; ++i) desired = tick(k, seconds(2 * i), 1, 20);
  EXPECT_TRUE(k.panicking(0));  // exactly 200 %
  // Stable mean = 3 x 20 / 30 = 2 → 1 container; panic mean 20 → 2 containers: panic wins.
  EXPECT_EQ(desired, 2);
}

TEST(KnativeScaling, NeverScalesDownWhilePanicking) {
  KnativeScaling k(knative_defaults());
  int desired = 0;
  for (int i = 1; i <= 3; ++i) desired = tick(k, seconds(2 * i), 1, 60);
  EXPECT_EQ(desired, 6);
  // Load vanishes: still panicking for a stable window after the last trigger (t = 6 s), desired stays 6.
  for (int i = 4; i <= 32; ++i) {
    desired = tick(k, seconds(2 * i), 6, 0);
    EXPECT_EQ(desired, 6) << "t=" << 2 * i << "s";
  }
  EXPECT_TRUE(k.panicking(0));
  // t = 66 s: 60 s since the last trigger, panic ends; stable mean 0 → floor(6 / 2) = 3 by the scale-down rate.
  EXPECT_EQ(tick(k, seconds(66), 6, 0), 3);
  EXPECT_FALSE(k.panicking(0));
}

TEST(KnativeScaling, ScaleToZeroWaitsForTheGracePeriod) {
  KnativeParams p = knative_defaults();
  p.max_scale_down_rate = 1000;  // so only the grace period holds the last container
  KnativeScaling k(p);
  tick(k, seconds(2), 1, 1);     // some traffic, not a panic (0.33 container's worth < 2)
  int desired = 0;
  for (int i = 2; i <= 31; ++i) desired = tick(k, seconds(2 * i), 1, 0);
  // At t = 62 s the stable window (31 ticks back is t = 2 s) no longer holds the traffic: desired 0 → held at 1.
  EXPECT_EQ(desired, 1);
  for (int i = 32; i <= 45; ++i) desired = tick(k, seconds(2 * i), 1, 0);
  EXPECT_EQ(desired, 1);                    // 90 s: 28 s after desired first became 0
  EXPECT_EQ(tick(k, seconds(92), 1, 0), 0);  // 30 s: grace over
}

TEST(KnativeScaling, AdmitsToTheLeastLoadedContainerWithAFreeSlotElseBuffers) {
  KnativeScaling k(knative_defaults());
  FakeCluster cluster(2);
  model::FunctionSpec fn;
  const ContainerLoad containers[] = {{1, 0, 10, 10, true}, {2, 1, 7, 10, true}, {3, 1, 2, 10, false}};
  Admission a = k.admit(fn, FunctionLoad{0, containers, 0}, cluster, 0);
  ASSERT_TRUE(a.container.has_value());
  EXPECT_EQ(*a.container, 2u);  // 1 is full, 3 is not ready
  EXPECT_EQ(a.scale_out, 0);
  cluster.node(1).busy_cores = cluster.node(1).cores;  // no core left where container 2 runs
  a = k.admit(fn, FunctionLoad{0, containers, 0}, cluster, 0);
  EXPECT_FALSE(a.container.has_value());
  EXPECT_EQ(a.scale_out, 0);  // the autoscaler's next tick decides
  a = k.admit(fn, FunctionLoad{0, {}, 0}, cluster, 0);
  EXPECT_FALSE(a.container.has_value());
  EXPECT_EQ(a.scale_out, 1);  // scale from zero at once
}

HyperFaaSParams hyper(int slots, int max_slots) {
  HyperFaaSParams p;  // cpu 0.8, memory 0.9
  p.slots = slots;
  p.max_slots = max_slots;
  return p;
}

FakeCluster ten_core_nodes(int n) {
  FakeCluster c(n, 1000);
  for (int i = 0; i < n; ++i) c.node(i).cores = 10;
  return c;
}

TEST(HyperFaaSScaling, Phase1RaisesTheContainerUnderTheWatermarks) {
  HyperFaaSScaling h(hyper(2, 4));
  FakeCluster cluster = ten_core_nodes(2);
  cluster.node(0).busy_cores = 2;  // one more: 3 <= 0.8 x 10
  const ContainerLoad containers[] = {{1, 0, 2, 2, true}, {2, 1, 0, 2, true}};
  const Admission a = h.admit({}, FunctionLoad{0, containers, 0}, cluster, 0);
  ASSERT_TRUE(a.container.has_value());
  EXPECT_EQ(*a.container, 1u);  // the primary takes it although container 2 is idle
  EXPECT_EQ(a.slots, 3);
  EXPECT_EQ(a.phase, 1);
  EXPECT_EQ(a.scale_out, 0);
}

// A container whose engine can give it no more slots (a live runtime at its worker channels) is never
// raised past them: the same load as above, with the primary capped at 2, goes to phase 2.
TEST(HyperFaaSScaling, NeverRaisesAContainerPastItsOwnMaxSlots) {
  HyperFaaSScaling h(hyper(2, 4));
  FakeCluster cluster = ten_core_nodes(2);
  cluster.node(0).busy_cores = 2;
  const ContainerLoad containers[] = {{1, 0, 2, 2, true, 2}, {2, 1, 0, 2, true}};
  const Admission a = h.admit({}, FunctionLoad{0, containers, 0}, cluster, 0);
  ASSERT_TRUE(a.container.has_value());
  EXPECT_EQ(*a.container, 2u);
  EXPECT_EQ(a.slots, 2);
  EXPECT_EQ(a.phase, 2);
  // Both at their caps and busy: no phase-1 buffer either; one container starts.
  const ContainerLoad capped[] = {{1, 0, 2, 2, true, 2}, {2, 1, 1, 1, true, 1}};
  const Admission b = h.admit({}, FunctionLoad{0, capped, 0}, cluster, 0);
  EXPECT_FALSE(b.container.has_value());
  EXPECT_EQ(b.phase, 3);
  EXPECT_EQ(b.scale_out, 1);
}

TEST(HyperFaaSScaling, BouncesToAnotherContainerOverTheWatermarks) {
  HyperFaaSScaling h(hyper(2, 4));
  FakeCluster cluster = ten_core_nodes(2);
  cluster.node(0).busy_cores = 8;  // one more: 9 > 8, over the CPU watermark
  const ContainerLoad containers[] = {{1, 0, 2, 2, true}, {2, 1, 1, 2, true}};
  Admission a = h.admit({}, FunctionLoad{0, containers, 0}, cluster, 0);
  ASSERT_TRUE(a.container.has_value());
  EXPECT_EQ(*a.container, 2u);
  EXPECT_EQ(a.slots, 2);
  EXPECT_EQ(a.phase, 2);
  // Memory over its watermark bounces too: node 0 at 950 / 1000 MB > 0.9.
  cluster.node(0).busy_cores = 0;
  cluster.node(0).used_mb = 950;
  a = h.admit({}, FunctionLoad{0, containers, 0}, cluster, 0);
  ASSERT_TRUE(a.container.has_value());
  EXPECT_EQ(*a.container, 2u);
  EXPECT_EQ(a.phase, 2);
}

TEST(HyperFaaSScaling, Phase3ScalesOutAndBuffersInAPhase1Container) {
  HyperFaaSScaling h(hyper(2, 4));
  FakeCluster cluster = ten_core_nodes(1);
  cluster.node(0).busy_cores = 8;  // over the CPU watermark, 2 cores free
  const ContainerLoad one[] = {{1, 0, 3, 3, true}};
  // Demand beyond 2 slots per ready container: (3 − 2) + 0 buffered + this one = 2 → one container of 2.
  Admission a = h.admit({}, FunctionLoad{0, one, 0}, cluster, 0);
  EXPECT_EQ(a.phase, 3);
  EXPECT_EQ(a.scale_out, 1);
  ASSERT_TRUE(a.container.has_value());  // buffered in container 1, raised to 4 over the watermark
  EXPECT_EQ(a.slots, 4);
  // At max_slots, with one container starting and 3 buffered: demand 2 + 3 + 1 = 6 → 3 containers, 2 more.
  const ContainerLoad full[] = {{1, 0, 4, 4, true}, {2, 0, 0, 2, false}};
  a = h.admit({}, FunctionLoad{0, full, 3}, cluster, 0);
  EXPECT_FALSE(a.container.has_value());
  EXPECT_EQ(a.scale_out, 2);
}

TEST(HyperFaaSScaling, TickLowersSlotsAndReclaimsToThePeakOfTheWindow) {
  HyperFaaSScaling h(hyper(10, 40));  // window 30 s = 15 ticks of 2 s
  TickLoad l = tick_load(0, 5, 35);
  auto t = h.on_tick(std::span<const TickLoad>(&l, 1), seconds(2));
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].desired, 4);  // ceil(35 / 10)
  EXPECT_EQ(t[0].slots, 10);
  l = tick_load(0, 5, 3);
  for (int i = 2; i <= 15; ++i) t = h.on_tick(std::span<const TickLoad>(&l, 1), seconds(2 * i));
  EXPECT_EQ(t[0].desired, 4);  // 35 still in the window
  t = h.on_tick(std::span<const TickLoad>(&l, 1), seconds(32));
  EXPECT_EQ(t[0].desired, 1);  // peak 3 → 1 (never below one: the last is the keep-alive policy's)
}

TEST(ScalingRegistry, AZeroTickIsAClearErrorNotADivisionByZero) {
  PolicyContext ctx;
  EXPECT_THROW(make_scaling("knative:tick=0", ctx), std::invalid_argument);
  EXPECT_THROW(make_scaling("hyperfaas:tick=0", ctx), std::invalid_argument);
  KnativeParams p;
  p.tick_us = 0;
  EXPECT_THROW(KnativeScaling{p}, std::invalid_argument);
}

TEST(ScalingRegistry, CountsBeyondInt32AreErrorsNotTruncated) {
  PolicyContext ctx;
  // 2^32 + 1 truncated to int32 is 1: the policy must not silently run with 1 slot.
  EXPECT_THROW(make_scaling("hyperfaas:slots=4294967297,max_slots=4294967297", ctx), std::invalid_argument);
  EXPECT_THROW(make_scaling("hyperfaas:max_slots=4294967306", ctx), std::invalid_argument);
  EXPECT_THROW(make_scaling("knative:cc=4294967297", ctx), std::invalid_argument);
  EXPECT_THROW(make_scaling("knative:target=1e10", ctx), std::invalid_argument);  // cc = ceil(target)
  EXPECT_EQ(make_scaling("knative:target=1e10,cc=100", ctx)->initial_slots({}), 100);
}

TEST(ScalingRegistry, BuildsByNameAndRejectsBadParameters) {
  PolicyContext ctx;
  EXPECT_EQ(make_scaling("none", ctx), nullptr);
  EXPECT_EQ(make_scaling("openwhisk", ctx), nullptr);
  EXPECT_EQ(make_scaling("knative", ctx)->name(), "knative");
  EXPECT_EQ(make_scaling("knative:target=5", ctx)->initial_slots({}), 5);
  EXPECT_EQ(make_scaling("knative:target=5,cc=8", ctx)->initial_slots({}), 8);
  EXPECT_EQ(make_scaling("hyperfaas:slots=4", ctx)->initial_slots({}), 4);
  EXPECT_THROW(make_scaling("kpa", ctx), std::invalid_argument);
  EXPECT_THROW(make_scaling("hyperfaas:slots=50", ctx), std::invalid_argument);  // above max_slots 40
  EXPECT_THROW(make_scaling("hyperfaas:cpu=1.5", ctx), std::invalid_argument);
  EXPECT_THROW(make_scaling("knative:panic=2m", ctx), std::invalid_argument);  // longer than the stable window
  bool listed = false;
  for (const PolicyInfo& p : all_policies()) listed |= p.kind == PolicyKind::kScaling && p.name == "hyperfaas";
  EXPECT_TRUE(listed);
}

}  // namespace
}  // namespace hearth::policy
