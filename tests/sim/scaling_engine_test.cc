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
  const SimResult hyper = run_burst("hyperfaas:slots=1,max_slots=64,cpu=1,cores=64");
  // OpenWhisk: the warm container serves one, the other 49 each cold-start (2 s + 1 s).
  EXPECT_EQ(none.metrics.cold_starts(), 50u);
  EXPECT_EQ(none.timeline.summary(seconds(10), seconds(11)).p99_us, seconds(3));
  // HyperFaaS phase 1: the warm container gains 49 workers at once; with a quota of 64 cores each burst
  // call has a core and runs in 1 s.
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

// Phase 1 is not free: the container's 50 workers share its 10-core quota, so each 1-s call takes 5 s
// (50 / 10), and each worker beyond the first holds 2 MB: 100 + 49 x 2 = 198 MB at the peak. The tick
// after the burst (16 s) removes the workers and their memory.
TEST(ScalingEngine, Phase1WorkersShareTheContainersCpuAndEachHoldsMemory) {
  const SimResult shared = run_burst("hyperfaas:slots=1,max_slots=64,cpu=1,cores=10,worker_mb=2");
  const SimResult free_workers = run_burst("hyperfaas:slots=1,max_slots=64,cpu=1,cores=64,worker_mb=0");
  EXPECT_EQ(shared.containers_created, 1u);
  EXPECT_EQ(shared.max_slots_used, 50);
  const TimelinePoint burst = shared.timeline.summary(seconds(10), seconds(11));
  EXPECT_EQ(burst.count, 50u);
  EXPECT_EQ(burst.p50_us, seconds(5));
  EXPECT_EQ(burst.p99_us, seconds(5));
  EXPECT_EQ(shared.metrics.latency().max(), seconds(5));
  EXPECT_EQ(shared.peak_memory_mb, 198);
  EXPECT_EQ(free_workers.peak_memory_mb, 100);
  EXPECT_EQ(free_workers.timeline.summary(seconds(10), seconds(11)).p99_us, seconds(1));
  // Memory: 100 MB over [0, 10 s), 198 MB over [10 s, 16 s), 100 MB from the 16-s tick to the end (200 s).
  EXPECT_NEAR(shared.total_memory_gb_s, (100.0 * 10 + 198.0 * 6 + 100.0 * 184) / 1024.0, 1e-6);
}

// Processor sharing inside a container is exact: two 1-s calls share a 1-core pod for 2 s; a third,
// arriving when the first two have had 0.5 s of CPU each, stretches them (3 on 1 core) until they finish.
TEST(ScalingEngine, ContainerQuotaIsProcessorShared) {
  // A pod of 1 core, unlimited concurrency, already warm (a call at 0: cold 2 s + 1 s).
  auto w = workload({function(0, 100, seconds(1), seconds(2))},
                    {call(0, 0, seconds(1)), call(0, seconds(10), seconds(1)), call(0, seconds(10), seconds(1)),
                     call(0, seconds(11), seconds(1))},
                    seconds(100));
  SimConfig c = one_node("hpa:cores=1");
  const SimResult r = run_simulation(w, c);
  EXPECT_EQ(r.metrics.completed(), 4u);
  EXPECT_EQ(r.containers_created, 1u);
  // [10, 11): two jobs at 1/2 → 0.5 s each. [11, t): three at 1/3: the first two need 0.5 s more → 1.5 s,
  // done at 12.5 s (latency 2.5 s); the third has had 0.5 s then, alone for its last 0.5 s: done at 13 s.
  EXPECT_EQ(r.metrics.latency().max(), seconds(3));  // the cold call at 0
  EXPECT_EQ(r.metrics.latency().count(), 4u);
  EXPECT_EQ(r.metrics.latency().mean(), 2500000.0);  // (3 + 2.5 + 2.5 + 2) / 4 s
  EXPECT_EQ(r.metrics.latency().min(), seconds(2));  // the third: 11 s → 13 s
}

// Phase 3 waits for the overload to persist for the function's cold start (2 s). A short burst (8 calls
// at once at 10 s into a container capped at 4 workers) waits in the buffer for 1 s and starts nothing;
// the same burst with persist=0 starts containers at once (the probe works without the protection).
// A sustained 8/s for 5 s (capacity 4/s) overloads for longer than 2 s and scales out.
TEST(ScalingEngine, AShortSpikeDoesNotScaleOutAPersistentOneDoes) {
  auto burst = [](int calls, model::Micros every) {
    std::vector<model::Invocation> v{call(0, 0, seconds(1))};
    for (int i = 0; i < calls; ++i) v.push_back(call(0, seconds(10) + i * every, seconds(1)));
    return workload({function(0, 100, seconds(1), seconds(2))}, v, seconds(200));
  };
  const std::string base = "hyperfaas:slots=1,max_slots=4,cores=4,cpu=1,low=0";
  auto run = [&](trace::Workload w, const std::string& spec) { return run_simulation(w, one_node(spec)); };
  const SimResult short_spike = run(burst(8, 0), base);
  EXPECT_EQ(short_spike.containers_created, 1u);
  EXPECT_EQ(short_spike.metrics.completed(), 9u);
  EXPECT_EQ(short_spike.metrics.latency().max(), seconds(3));  // the cold call; the last 4 burst calls wait 1 s: 2 s
  const SimResult eager = run(burst(8, 0), base + ",persist=0");
  EXPECT_GT(eager.containers_created, 1u);
  const SimResult persistent = run(burst(40, 125000), base);
  EXPECT_GT(persistent.containers_created, 1u);
  EXPECT_EQ(persistent.metrics.completed(), 41u);
}

// Phase 2 multiplexes: function 0's only container is at its worker cap when a second 5-s call arrives at
// 10 s; the global scheduler borrows the generic worker of function 1's idle container (ready after
// function 0's init, 1 s) and the call runs there from 11 s (latency 6 s). With low=0 it waits: the
// tick at 12 s finds the overload 2 s old (the cold start: it persists) and starts a container, ready
// at 14 s (latency 9 s).
TEST(ScalingEngine, Phase2BorrowsAWorkerOfAnUnderUtilisedContainerOfAnotherFunction) {
  auto run = [](const std::string& spec) {
    auto w = workload({function(0, 100, seconds(1), seconds(2)), function(1, 100, seconds(1), seconds(2))},
                      {call(0, 0, seconds(1)), call(1, 0, seconds(1)), call(0, seconds(10), seconds(5)),
                       call(0, seconds(10), seconds(5))},
                      seconds(100));
    return run_simulation(w, one_node(spec));
  };
  const SimResult multiplexed = run("hyperfaas:slots=1,max_slots=1,cores=1");
  EXPECT_EQ(multiplexed.shared_starts, 1u);
  EXPECT_EQ(multiplexed.containers_created, 2u);
  EXPECT_EQ(multiplexed.admissions_by_phase[2], 0u);  // once ready, the borrowed worker is where phase 1 sends it
  EXPECT_EQ(multiplexed.metrics.latency().max(), seconds(6));
  const SimResult alone = run("hyperfaas:slots=1,max_slots=1,cores=1,low=0");
  EXPECT_EQ(alone.shared_starts, 0u);
  EXPECT_EQ(alone.containers_created, 3u);
  EXPECT_EQ(alone.metrics.latency().max(), seconds(9));
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
