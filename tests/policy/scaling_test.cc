// Hand-worked decisions of the scaling policies (policy/knative_scaling.h, policy/hyperfaas_scaling.h).
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "policy/hpa_scaling.h"
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

// Phase 3 waits until the overload has lasted the function's cold start (persist = 1): the first phase-3
// admission at 1 s starts nothing (it multiplexes instead), the one at 2.5 s neither (1.5 s), the one at
// 3 s does (2 s). A gap of more than a tick (2 s) ends the overload: at 6 s it starts again from zero.
TEST(HyperFaaSScaling, Phase3OnlyOnceTheOverloadPersistsForAColdStart) {
  HyperFaaSScaling h(hyper(2, 2));
  FakeCluster cluster = ten_core_nodes(1);
  model::FunctionSpec fn;
  fn.cold_start_us = seconds(2);
  const ContainerLoad full[] = {{1, 0, 2, 2, true}};  // at max_slots: phases 1 and 2 have no room
  Admission a = h.admit(fn, FunctionLoad{0, full, 0}, cluster, seconds(1));
  EXPECT_EQ(a.scale_out, 0);
  EXPECT_EQ(a.multiplex, 1);  // demand: (2 - 2) + 0 + 1 worker
  EXPECT_EQ(a.phase, 2);
  EXPECT_EQ(h.overload_since(0), seconds(1));
  a = h.admit(fn, FunctionLoad{0, full, 2}, cluster, seconds(2) + seconds(1) / 2);
  EXPECT_EQ(a.scale_out, 0);
  EXPECT_EQ(a.multiplex, 3);
  a = h.admit(fn, FunctionLoad{0, full, 2}, cluster, seconds(3));
  EXPECT_EQ(a.scale_out, 2);  // demand 3 → ceil(3 / 2) containers
  EXPECT_EQ(a.multiplex, 0);
  EXPECT_EQ(a.phase, 3);
  a = h.admit(fn, FunctionLoad{0, full, 0}, cluster, seconds(6));  // 3 s after the last: a new overload
  EXPECT_EQ(a.scale_out, 0);
  EXPECT_EQ(h.overload_since(0), seconds(6));
  // With no container at all there is nothing to buffer in: one starts at once.
  a = h.admit(fn, FunctionLoad{0, {}, 0}, cluster, seconds(7));
  EXPECT_EQ(a.scale_out, 1);
}

// A worker past the container's quota takes no core: a container at its quota admits on a node with no
// free core (it stretches its own invocations), one below its quota does not.
TEST(HyperFaaSScaling, AWorkerPastTheQuotaNeedsNoFreeCore) {
  HyperFaaSParams p = hyper(2, 8);
  p.cores = 2;
  p.cpu_watermark = 1;
  HyperFaaSScaling h(p);
  FakeCluster cluster = ten_core_nodes(1);
  cluster.node(0).busy_cores = 10;
  model::FunctionSpec fn;
  fn.cold_start_us = seconds(2);
  const ContainerLoad at_quota[] = {{1, 0, 2, 2, true, std::numeric_limits<std::int32_t>::max(), 2}};
  Admission a = h.admit(fn, FunctionLoad{0, at_quota, 0}, cluster, 0);
  ASSERT_TRUE(a.container.has_value());
  EXPECT_EQ(a.slots, 3);
  EXPECT_EQ(a.phase, 1);
  const ContainerLoad below[] = {{1, 0, 1, 2, true, std::numeric_limits<std::int32_t>::max(), 2}};
  a = h.admit(fn, FunctionLoad{0, below, 0}, cluster, 0);
  EXPECT_FALSE(a.container.has_value());
}

TEST(HyperFaaSScaling, LendsOnlyUnderUtilisedContainers) {
  HyperFaaSScaling h(hyper(2, 4));  // low 0.5
  ContainerLoad c{1, 0, 5, 10, true, 10, 10};
  EXPECT_TRUE(h.lends(c));  // 5 <= 0.5 x 10
  c.active = 6;
  EXPECT_FALSE(h.lends(c));
  HyperFaaSParams off = hyper(2, 4);
  off.low = 0;
  c.active = 0;
  EXPECT_FALSE(HyperFaaSScaling(off).lends(c));
}

// One sync of the HPA for function 0 at `t` with `ready` pods (and `starting`) using `cores` on average.
int hpa_sync(HpaScaling& h, model::Micros t, int ready, double cores, int starting = 0) {
  TickLoad l = tick_load(0, ready, 0);
  l.starting = starting;
  l.mean_cores_used = cores;
  const auto targets = h.on_tick(std::span<const TickLoad>(&l, 1), t);
  EXPECT_EQ(targets.size(), 1u);
  return targets.empty() ? -1 : targets[0].desired;
}

HpaParams hpa_half() {
  HpaParams p;  // 1-core pods, tolerance 0.1, down window 300 s, +100 % or +4 per 15 s, max 20
  p.target = 0.5;
  return p;
}

// desired = ceil(current x utilisation / target), unless within the 10 % tolerance.
TEST(HpaScaling, DesiredIsCurrentTimesUtilisationOverTarget) {
  HpaScaling h(hpa_half());
  EXPECT_EQ(hpa_sync(h, seconds(15), 4, 2.1), 4);  // 52.5 % of 4 cores: ratio 1.05, within tolerance
  EXPECT_EQ(hpa_sync(h, seconds(30), 4, 2.24), 5);  // 56 %: ratio 1.12 → ceil(4 x 1.12) = 5
  HpaScaling fresh(hpa_half());
  EXPECT_EQ(fresh.recommend(tick_load(0, 4, 0)), 0);  // idle: ceil(0), clamped to min later
  TickLoad l = tick_load(0, 4, 0);
  l.mean_cores_used = 1.8;  // 45 %: ratio 0.9, within tolerance
  EXPECT_EQ(fresh.recommend(l), 4);
  l.mean_cores_used = 1.7;  // 42.5 %: ratio 0.85 → ceil(3.4) = 4
  EXPECT_EQ(fresh.recommend(l), 4);
  l.mean_cores_used = 1.4;  // 35 %: ratio 0.7 → ceil(2.8) = 3
  EXPECT_EQ(fresh.recommend(l), 3);
}

// Scale-up: at most +100 % or +4 pods per 15-s period, whichever is more; pods still starting count as
// using nothing.
TEST(HpaScaling, ScaleUpIsLimitedToDoubleOrFourMorePerPeriod) {
  HpaScaling h(hpa_half());
  EXPECT_EQ(hpa_sync(h, seconds(15), 1, 1.0), 2);   // 100 %: wants ceil(1 x 2) = 2; limit max(2, 5)
  EXPECT_EQ(hpa_sync(h, seconds(30), 2, 2.0), 4);   // wants 4; limit max(4, 6) = 6
  EXPECT_EQ(hpa_sync(h, seconds(45), 4, 4.0), 8);   // wants 8; limit max(8, 8)
  EXPECT_EQ(hpa_sync(h, seconds(60), 8, 8.0), 16);  // wants 16; limit 16
  EXPECT_EQ(hpa_sync(h, seconds(75), 16, 16.0), 20);  // wants 32; max replicas 20
  HpaScaling g(hpa_half());
  EXPECT_EQ(hpa_sync(g, seconds(15), 10, 10.0), 20);  // wants 20; limit max(20, 14)
  // 2 ready pods at 100 %, 2 starting: (2 / 4) / 0.5 = 1.0: within tolerance, keep 4.
  HpaScaling s(hpa_half());
  EXPECT_EQ(hpa_sync(s, seconds(15), 2, 2.0, 2), 4);
  // 2 ready at 100 % with 1 starting: 2 / 3 / 0.5 = 1.33 → ceil(1.33 x 3) = 4.
  EXPECT_EQ(hpa_sync(s, seconds(30), 2, 2.0, 1), 4);
}

// Scale-down takes the highest recommendation of the last 300 s: a burst's recommendation holds the pods
// for 5 minutes after the load is gone, then they go at once.
TEST(HpaScaling, ScaleDownIsStabilisedOverFiveMinutes) {
  HpaScaling h(hpa_half());
  EXPECT_EQ(hpa_sync(h, seconds(15), 4, 4.0), 8);
  // Load gone: recommendations 1 (min), but the window still holds 8 until t = 15 + 300 s.
  for (int i = 2; i <= 20; ++i) EXPECT_EQ(hpa_sync(h, seconds(15 * i), 8, 0.0), 8) << "t=" << 15 * i;
  EXPECT_EQ(hpa_sync(h, seconds(315), 8, 0.0), 1);  // the 8 at 15 s is now 300 s old: out of the window
  // 1 pod at 300 %: recommends 6, limited to +4 pods: 5. At 345 s 5 pods at 12 % recommend 2, but
  // the window holds the 6 recommended at 330 s (before the rate limit): stays at 5.
  EXPECT_EQ(hpa_sync(h, seconds(330), 1, 3.0), 5);
  EXPECT_EQ(hpa_sync(h, seconds(345), 5, 0.6), 5);
  // No pod at all: autoscaling is off (0), and the history is forgotten.
  EXPECT_EQ(hpa_sync(h, seconds(360), 0, 0.0), 0);
  EXPECT_EQ(hpa_sync(h, seconds(375), 1, 0.0), 1);
}

TEST(HpaScaling, AdmitsToTheLeastLoadedPodEvenPastItsQuotaAndStartsTheFirst) {
  HpaScaling h(hpa_half());
  FakeCluster cluster(1);
  cluster.node(0).busy_cores = cluster.node(0).cores;  // no free core: only pods at their quota admit
  constexpr auto kMax = std::numeric_limits<std::int32_t>::max();
  const ContainerLoad pods[] = {{1, 0, 3, kMax, true, kMax, 1}, {2, 0, 2, kMax, true, kMax, 1},
                                {3, 0, 0, kMax, true, kMax, 1}};
  Admission a = h.admit({}, FunctionLoad{0, pods, 0}, cluster, 0);
  ASSERT_TRUE(a.container.has_value());
  EXPECT_EQ(*a.container, 2u);  // 3 is idle but needs a core
  a = h.admit({}, FunctionLoad{0, {}, 0}, cluster, 0);
  EXPECT_FALSE(a.container.has_value());
  EXPECT_EQ(a.scale_out, 1);
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
  EXPECT_EQ(make_scaling("hpa:target=0.5,max=50", ctx)->name(), "hpa");
  EXPECT_EQ(make_scaling("hpa:cores=2", ctx)->container_cores({}), 2);
  EXPECT_EQ(make_scaling("hyperfaas:cores=4,worker_mb=3", ctx)->worker_mb({}), 3);
  EXPECT_THROW(make_scaling("hpa:target=0", ctx), std::invalid_argument);
  EXPECT_THROW(make_scaling("hpa:min=5,max=2", ctx), std::invalid_argument);
  EXPECT_THROW(make_scaling("hpa:sync=0", ctx), std::invalid_argument);
  EXPECT_THROW(make_scaling("hyperfaas:persist=-1", ctx), std::invalid_argument);
  EXPECT_THROW(make_scaling("hyperfaas:low=2", ctx), std::invalid_argument);
  EXPECT_THROW(make_scaling("hyperfaas:cores=0", ctx), std::invalid_argument);
  bool listed = false;
  for (const PolicyInfo& p : all_policies()) listed |= p.kind == PolicyKind::kScaling && p.name == "hyperfaas";
  EXPECT_TRUE(listed);
}

}  // namespace
}  // namespace hearth::policy
