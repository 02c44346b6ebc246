// Hand-worked runs of the engine's CPU models (processor sharing, the FIFO model, --cpu-fraction) and of
// cold-start contention.
#include <gtest/gtest.h>

#include "sim/engine.h"
#include "tests/sim/fixed_workload.h"

namespace hearth::sim {
namespace {

using model::millis;
using model::seconds;
using namespace testing;

SimConfig node(int cores, model::MegaBytes memory = 1000) {
  SimConfig c;
  c.nodes = 1;
  c.node_memory_mb = memory;
  c.node_cores = cores;
  c.placement = "max-memory";
  c.keepalive = "ttl:10m";
  c.prewarm = "none";
  c.cold_contention_us = 0;
  c.check_invariants = true;
  return c;
}

// Functions without start-up cost, so latencies are execution alone.
model::FunctionSpec instant(model::FunctionId id, model::MegaBytes memory = 100) {
  return function(id, memory, seconds(1), 0);
}

TEST(CpuModel, TwoEqualJobsOnOneCoreBothFinishAtTwoSeconds) {
  auto w = workload({instant(0), instant(1)}, {call(0, 0, seconds(1)), call(1, 0, seconds(1))});
  const SimResult r = run_simulation(w, node(1));
  EXPECT_EQ(r.metrics.completed(), 2u);
  EXPECT_EQ(r.metrics.wait().max(), 0);  // nobody queues
  EXPECT_EQ(r.metrics.latency().min(), seconds(2));
  EXPECT_EQ(r.metrics.latency().max(), seconds(2));
  EXPECT_EQ(r.end_us, seconds(2));
}

TEST(CpuModel, MemoryWeightsGiveTheLargerFunctionItsShareOfTheCore) {
  // A 1,000 MB node: OpenWhisk's cpu-shares are 1024 / (1000 / 200) = 204 for 200 MB and
  // 1024 / (1000 / 500) = 512 for 500 MB, so on one core B (500 MB) gets 512/716 of it and A 204/716.
  // Both 1 s of work: B is done at 716/512 s = 1,398,437.5 µs (rounded up to ...438), when A has 204/512 s
  // done; A's last 308/512 s (601,562.5 µs) alone ends at 2 s (the core never idles; 0.5 µs of rounding).
  auto w = workload({instant(0, 200), instant(1, 500)}, {call(0, 0, seconds(1)), call(1, 0, seconds(1))});
  SimConfig c = node(1);
  c.cpu_weights = policy::CpuWeights::kMemory;
  const SimResult r = run_simulation(w, c);
  EXPECT_EQ(r.metrics.latency().min(), 1'398'438);
  EXPECT_EQ(r.metrics.latency().max(), seconds(2) + 1);
  // The same under equal weights: both at half the core, done at 2 s.
  auto same = workload({instant(0, 200), instant(1, 500)}, {call(0, 0, seconds(1)), call(1, 0, seconds(1))});
  c.cpu_weights = policy::CpuWeights::kEqual;
  EXPECT_EQ(run_simulation(same, c).metrics.latency().min(), seconds(2));
}

TEST(CpuModel, FifoModelQueuesTheSecondJobInstead) {
  auto w = workload({instant(0), instant(1)}, {call(0, 0, seconds(1)), call(1, 0, seconds(1))});
  SimConfig c = node(1);
  c.cpu_model = SimConfig::CpuModel::kFifo;
  const SimResult r = run_simulation(w, c);
  EXPECT_EQ(r.metrics.wait().max(), seconds(1));
  EXPECT_EQ(r.metrics.latency().min(), seconds(1));
  EXPECT_EQ(r.metrics.latency().max(), seconds(2));
  EXPECT_EQ(r.end_us, seconds(2));
}

TEST(CpuModel, AJobArrivingHalfWaySharesTheRestOfTheFirst) {
  // A (1 s) alone until 0.5 s, then A and B (2 s) at half a core each: A done at 1.5 s (latency 1.5 s),
  // B has 0.5 s of work by then and runs the rest alone: done at 3 s (latency 2.5 s).
  auto w = workload({instant(0), instant(1)}, {call(0, 0, seconds(1)), call(1, millis(500), seconds(2))});
  const SimResult r = run_simulation(w, node(1));
  EXPECT_EQ(r.metrics.latency().min(), millis(1500));
  EXPECT_EQ(r.metrics.latency().max(), millis(2500));
  EXPECT_EQ(r.end_us, seconds(3));
}

TEST(CpuModel, StartUpIsNotSharedCpu) {
  // A cold-starts for 1 s then runs 1 s; B (no start-up) runs 2 s from 0 alone until A's
  // start-up ends at 1 s, then both share: A's 1 s takes 2 s (done at 3 s, latency 3 s), B's last 1 s
  // too (done at 3 s).
  auto w = workload({function(0, 100, seconds(1), seconds(1)), instant(1)},
                    {call(0, 0, seconds(1)), call(1, 0, seconds(2))});
  const SimResult r = run_simulation(w, node(1));
  EXPECT_EQ(r.metrics.latency().min(), seconds(3));
  EXPECT_EQ(r.metrics.latency().max(), seconds(3));
  EXPECT_EQ(r.metrics.start_latency().max(), seconds(1));
}

TEST(CpuModel, ThreeJobsOnTwoCores) {
  auto w = workload({instant(0), instant(1), instant(2)},
                    {call(0, 0, seconds(3)), call(1, 0, seconds(3)), call(2, 0, seconds(3))});
  const SimResult r = run_simulation(w, node(2));
  EXPECT_EQ(r.metrics.latency().min(), millis(4500));
  EXPECT_EQ(r.metrics.latency().max(), millis(4500));
}

TEST(CpuModel, MemoryLimitsConcurrency) {
  // Three 400 MB functions on a 1000 MB node with one core: two run (sharing the core), the third waits
  // for the memory of the first to finish (2 s), evicts its idle container, then runs alone for 1 s.
  auto w = workload({instant(0, 400), instant(1, 400), instant(2, 400)},
                    {call(0, 0, seconds(1)), call(1, 0, seconds(1)), call(2, 0, seconds(1))});
  const SimResult r = run_simulation(w, node(1));
  EXPECT_EQ(r.metrics.completed(), 3u);
  EXPECT_EQ(r.metrics.wait().max(), seconds(2));
  EXPECT_EQ(r.metrics.latency().max(), seconds(3));
  EXPECT_EQ(r.evictions, 1u);
  EXPECT_EQ(r.end_us, seconds(3));
}

TEST(CpuModel, WaitingPartOfADurationSlowsNobody) {
  // cpu_fraction 0.5: A (2 s at 0) waits 1 s, then computes 1 s (1 s to 2 s); B (2 s at 1.5 s) waits until
  // 2.5 s and computes until 3.5 s: they never compute together, so each takes its 2 s.
  auto w = workload({instant(0), instant(1)}, {call(0, 0, seconds(2)), call(1, millis(1500), seconds(2))});
  SimConfig c = node(1);
  c.cpu_fraction = 0.5;
  const SimResult half = run_simulation(w, c);
  EXPECT_EQ(half.metrics.latency().min(), seconds(2));
  EXPECT_EQ(half.metrics.latency().max(), seconds(2));
  EXPECT_EQ(half.end_us, millis(3500));
  // All CPU: A alone for 1.5 s, then both at half speed: A's last 0.5 s ends at 2.5 s; B has 0.5 s done
  // and its last 1.5 s alone: done at 4 s (latency 2.5 s each).
  auto w1 = workload({instant(0), instant(1)}, {call(0, 0, seconds(2)), call(1, millis(1500), seconds(2))});
  const SimResult all = run_simulation(w1, node(1));
  EXPECT_EQ(all.metrics.latency().min(), millis(2500));
  EXPECT_EQ(all.metrics.latency().max(), millis(2500));
  EXPECT_EQ(all.end_us, seconds(4));
}

TEST(CpuModel, RejectsACpuFractionOutsideZeroToOne) {
  for (double f : {0.0, -0.5, 1.5}) {
    auto w = workload({instant(0)}, {call(0, 0, seconds(1))});
    SimConfig c = node(1);
    c.cpu_fraction = f;
    EXPECT_THROW(run_simulation(w, c), std::invalid_argument) << f;
  }
}

TEST(ColdContention, ConcurrentColdStartsOnANodeCostMore) {
  // k = 0.5: two cold starts of 1 s begin together on one node: the first costs 1 s, the second 1.5 s.
  // Without contention both cost 1 s. (2 cores: their 1 s runs do not share.)
  const auto calls = [] { return std::vector{call(0, 0, seconds(1)), call(1, 0, seconds(1))}; };
  auto fns = [] { return std::vector{function(0, 100, seconds(1), seconds(1)), function(1, 100, seconds(1), seconds(1))}; };
  auto w0 = workload(fns(), calls());
  const SimResult off = run_simulation(w0, node(2));
  EXPECT_EQ(off.metrics.start_latency().max(), seconds(1));
  SimConfig c = node(2);
  c.cold_contention = 0.5;
  auto w1 = workload(fns(), calls());
  const SimResult on = run_simulation(w1, c);
  EXPECT_EQ(on.metrics.start_latency().min(), seconds(1));
  EXPECT_EQ(on.metrics.start_latency().max(), millis(1500));
  EXPECT_EQ(on.metrics.latency().max(), millis(2500));
}

// Three functions with a cold start of 1 s and a run of 1 s, called together.
trace::Workload three_cold_starts() {
  return workload({function(0, 100, seconds(1), seconds(1)), function(1, 100, seconds(1), seconds(1)),
                   function(2, 100, seconds(1), seconds(1))},
                  {call(0, 0, seconds(1)), call(1, 0, seconds(1)), call(2, 0, seconds(1))});
}

TEST(ColdContention, EachConcurrentCreationAddsAFixedTime) {
  // d = 300 ms: three cold starts of 1 s begin together: 1 s, 1.3 s, 1.6 s (4 cores: no CPU sharing).
  auto w = three_cold_starts();
  SimConfig c = node(4);
  c.cold_contention_us = millis(300);
  c.cold_contention_cores = 4;  // measured on a machine like the node: unscaled
  const SimResult r = run_simulation(w, c);
  EXPECT_EQ(r.metrics.start_latency().min(), seconds(1));
  EXPECT_EQ(r.metrics.start_latency().max(), millis(1600));
  EXPECT_EQ(r.end_us, millis(2600));
}

TEST(ColdContention, ScalesFromTheCalibrationMachineToTheNodesCores) {
  // The same 300 ms measured on 2 cores: a 4-core node sees 150 ms per concurrent creation.
  auto w = three_cold_starts();
  SimConfig c = node(4);
  c.cold_contention_us = millis(300);
  c.cold_contention_cores = 2;
  const SimResult r = run_simulation(w, c);
  EXPECT_EQ(r.metrics.start_latency().max(), millis(1300));
}

TEST(ColdContention, RejectsNegativeParameters) {
  auto w = workload({instant(0)}, {call(0, 0, seconds(1))});
  SimConfig c = node(1);
  c.cold_contention = -1;
  EXPECT_THROW(run_simulation(w, c), std::invalid_argument);
  auto w2 = workload({instant(0)}, {call(0, 0, seconds(1))});
  c.cold_contention = 0;
  c.cold_contention_us = -1;
  EXPECT_THROW(run_simulation(w2, c), std::invalid_argument);
  auto w3 = workload({instant(0)}, {call(0, 0, seconds(1))});
  c.cold_contention_us = 0;
  c.cold_contention_cores = 0;
  EXPECT_THROW(run_simulation(w3, c), std::invalid_argument);
}

TEST(ColdContention, CreationsOnOtherNodesOrAlreadyOverDoNotCount) {
  // Two nodes, round-robin-free placement by max-memory: the second call goes to the other node.
  auto w = workload({function(0, 600, seconds(1), seconds(1)), function(1, 600, seconds(1), seconds(1)),
                     function(2, 100, seconds(1), seconds(1))},
                    {call(0, 0, seconds(1)), call(1, 0, seconds(1)), call(2, seconds(1), seconds(1))});
  SimConfig c = node(2);
  c.nodes = 2;
  c.cold_contention = 1.0;
  const SimResult r = run_simulation(w, c);
  // 0 and 1 start on different nodes; 2 begins at 1 s, when the creation on its node has just ended.
  EXPECT_EQ(r.metrics.cold_starts(), 3u);
  EXPECT_EQ(r.metrics.start_latency().max(), seconds(1));
}

}  // namespace
}  // namespace hearth::sim
