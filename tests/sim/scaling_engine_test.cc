// Hand-worked runs of the simulator's scaling path (policy/scaling.h): container concurrency,
// background starts, buffering and scale-down.
#include <gtest/gtest.h>

#include "sim/engine.h"
#include "tests/sim/fixed_workload.h"

namespace hearth::sim {
namespace {

using model::seconds;
using namespace testing;

SimConfig one_node(const std::string& scaling, int cores = 64) {
  SimConfig c;
  c.nodes = 1;
  c.node_memory_mb = 16384;
  c.node_cores = cores;
  c.placement = "max-memory";
  c.keepalive = "ttl:10m";
  c.prewarm = "none";
  c.scaling = scaling;
  c.cold_contention_us = 0;  // cold starts cost their own time here (contention: cpu_model_test.cc)
  c.check_invariants = true;  // also: no container above its slots, busy cores = running invocations
  return c;
}

// One call at 0 warms a container; 50 arrive together at 10 s. Exec 1 s, cold start 2 s.
trace::Workload burst_of_50() {
  std::vector<model::Invocation> calls{call(0, 0, seconds(1))};
  for (int i = 0; i < 50; ++i) calls.push_back(call(0, seconds(10), seconds(1)));
  return workload({function(0, 100, seconds(1), seconds(2))}, calls, seconds(200));
}

SimResult run_burst(const std::string& scaling) {
  auto w = burst_of_50();
  SimConfig c = one_node(scaling);
  c.timeline.from_us = seconds(10);  // the burst's arrivals only
  c.timeline.to_us = seconds(11);
  return run_simulation(w, c);
}

TEST(ScalingEngine, Phase1AbsorbsABurstThatOpenWhiskColdStarts) {
  const SimResult none = run_burst("none");
  const SimResult hyper = run_burst("hyperfaas:slots=1,max_slots=64,cpu=1");
  // OpenWhisk: the warm container serves one, the other 49 each cold-start (2 s + 1 s).
  EXPECT_EQ(none.metrics.cold_starts(), 50u);
  EXPECT_EQ(none.timeline.summary(seconds(10), seconds(11)).p99_us, seconds(3));
  // HyperFaaS phase 1: the warm container's slots rise to 50 at once; every burst call runs in 1 s.
  EXPECT_EQ(hyper.metrics.cold_starts(), 1u);
  EXPECT_EQ(hyper.containers_created, 1u);
  EXPECT_EQ(hyper.max_slots_used, 50);
  EXPECT_EQ(hyper.admissions_by_phase[1], 51u);
  const TimelinePoint burst = hyper.timeline.summary(seconds(10), seconds(11));
  EXPECT_EQ(burst.count, 50u);
  EXPECT_EQ(burst.p99_us, seconds(1));
  EXPECT_LT(burst.p99_us, none.timeline.summary(seconds(10), seconds(11)).p99_us);
  EXPECT_EQ(hyper.metrics.completed(), 51u);
}

// Container sharing: function 0 has a ready container when function 1 first arrives. With sharing,
// 1's container is a worker borrowed from 0's: it starts after 1's init (1 s) instead of a cold start
// (2 s), holds no memory of its own and creates no container.
TEST(ScalingEngine, SharingLendsAWorkerOfAnotherFunctionsContainer) {
  auto run = [](bool share) {
    auto w = workload({function(0, 100, seconds(1), seconds(2)), function(1, 100, seconds(1), seconds(2))},
                      {call(0, 0, seconds(1)), call(1, seconds(10), seconds(1))}, seconds(100));
    SimConfig c = one_node("hyperfaas:slots=1");
    c.share_containers = share;
    return run_simulation(w, c);
  };
  const SimResult alone = run(false), shared = run(true);
  EXPECT_EQ(alone.containers_created, 2u);
  EXPECT_EQ(alone.metrics.cold_starts(), 2u);
  EXPECT_EQ(alone.shared_starts, 0u);
  EXPECT_EQ(shared.containers_created, 1u);
  EXPECT_EQ(shared.shared_starts, 1u);
  EXPECT_EQ(shared.metrics.cold_starts(), 2u);  // 1 waited for its (shared) start: cold by the engine's rule
  EXPECT_EQ(shared.metrics.latency().max(), seconds(3));   // 0's own cold start: 2 s + 1 s
  EXPECT_LT(shared.metrics.latency().mean(), alone.metrics.latency().mean());  // 1: 1 s + 1 s, not 3 s
  EXPECT_EQ(shared.peak_memory_mb, 100);  // one container's memory
  EXPECT_EQ(alone.peak_memory_mb, 200);
}

TEST(ScalingEngine, HyperFaaSOverTheWatermarkScalesOutWhileBuffering) {
  // 10 cores, CPU watermark 0.5: the primary rises to 5 slots; calls 6..10 run over the watermark
  // (burst buffer, up to max_slots 10) while new containers start; nothing waits in the buffer.
  auto w = burst_of_50();
  SimConfig c = one_node("hyperfaas:slots=1,max_slots=10,cpu=0.5", /*cores=*/10);
  const SimResult r = run_simulation(w, c);
  EXPECT_EQ(r.metrics.completed(), 51u);
  EXPECT_GT(r.admissions_by_phase[3], 0u);
  EXPECT_GT(r.containers_created, 1u);
  EXPECT_LE(r.max_slots_used, 10);
  // Once the 30-s window has forgotten the burst, ticks reclaim the idle extra containers down to one.
  EXPECT_EQ(r.retired, r.containers_created - 1);
  EXPECT_EQ(r.expirations, 0u);
}

TEST(ScalingEngine, KnativeBuffersUntilTheAutoscalerAddsContainers) {
  const SimResult k = run_burst("knative:target=1");
  EXPECT_EQ(k.metrics.completed(), 51u);
  EXPECT_EQ(k.max_slots_used, 1);  // containerConcurrency = ceil(target) = 1
  // Nothing starts for the burst until the tick at 10 s sees it... which it does not (the tick at 10 s
  // runs before the arrivals at 10 s): the panic tick at 12 s starts containers, ready at 14 s.
  const TimelinePoint burst = k.timeline.summary(seconds(10), seconds(11));
  EXPECT_EQ(burst.count, 50u);
  EXPECT_GE(burst.p99_us, seconds(5));  // waits >= 4 s, runs 1 s
  EXPECT_GT(k.containers_created, 1u);
}

TEST(ScalingEngine, KnativeColdStartFromZeroThenScalesToZero) {
  // One call at 0 with no container: the activator starts one (ready at 2 s), the call runs 2 s → 3 s.
  auto w = workload({function(0, 100, seconds(1), seconds(2))}, {call(0, 0, seconds(1))}, seconds(200));
  SimConfig c = one_node("knative:target=1");
  c.timeline.from_us = seconds(10);
  c.timeline.to_us = seconds(60);
  const SimResult r = run_simulation(w, c);
  EXPECT_EQ(r.metrics.cold_starts(), 1u);
  EXPECT_NEAR(r.window_memory_gb_s, 100.0 * 50 / 1024.0, 1e-9);  // its container all through [10 s, 60 s)
  EXPECT_EQ(r.window_peak_memory_mb, 100);
  EXPECT_EQ(r.metrics.latency().max(), seconds(3));
  EXPECT_EQ(r.metrics.wait().max(), seconds(2));
  // Concurrency was 1 over [0, 2 s) and 1 over [2 s, 3 s): the ticks at 2 s and 4 s saw it. The 30-tick
  // stable window forgets the 4-s tick at 64 s; desired 0 is then held for the 30-s grace: retired at 94 s.
  EXPECT_EQ(r.retired, 1u);
  EXPECT_EQ(r.expirations, 0u);
  EXPECT_NEAR(r.total_memory_gb_s, 100.0 * 94 / 1024.0, 1e-9);
}

TEST(ScalingEngine, BufferedInvocationsBeyondTheQueueLimitAreDropped) {
  auto w = burst_of_50();
  SimConfig c = one_node("knative:target=1");
  c.queue_limit = 10;
  const SimResult r = run_simulation(w, c);
  // The warm-up call, then of the 50: 1 runs at once in the idle container, 10 wait, 39 are dropped.
  EXPECT_EQ(r.metrics.dropped(model::DropReason::kQueueFull), 39u);
  EXPECT_EQ(r.metrics.completed(), 12u);
}

TEST(ScalingEngine, NoneIsTheDefaultPath) {
  auto a = burst_of_50();
  auto b = burst_of_50();
  SimConfig with_none = one_node("none");
  SimConfig with_openwhisk = one_node("openwhisk");
  const SimResult x = run_simulation(a, with_none), y = run_simulation(b, with_openwhisk);
  EXPECT_EQ(x.metrics.cold_starts(), y.metrics.cold_starts());
  EXPECT_EQ(x.metrics.latency().mean(), y.metrics.latency().mean());
  EXPECT_EQ(x.retired, 0u);
}

}  // namespace
}  // namespace hearth::sim
