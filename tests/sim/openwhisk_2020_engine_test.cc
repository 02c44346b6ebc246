// Hand-worked runs of the engine rules the openwhisk-2020 preset needs: non-forced scheduling (held at
// the controller), action memory limits, and OpenWhisk's static stem cells (exact match, refilled at
// once, never evicted).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "sim/engine.h"
#include "tests/sim/fixed_workload.h"

namespace hearth::sim {
namespace {

using model::millis;
using model::seconds;
using model::StartKind;
using namespace testing;

SimConfig nodes(std::uint32_t n, model::MegaBytes memory, const char* placement, const char* prewarm = "none") {
  SimConfig c;
  c.nodes = n;
  c.node_memory_mb = memory;
  c.node_cores = 4;
  c.placement = placement;
  c.keepalive = "ttl:10m";
  c.prewarm = prewarm;
  c.check_invariants = true;
  return c;
}

// Two 200 MB nodes, 150 MB invocations. At t=0 two run (one per node: 1 s and 5 s); the third finds no
// semaphore room and is held at the controller; a 50 MB invocation at 0.5 s would fit, but queues behind
// it (FIFO). At 1 s the first completes: the third is placed on the freed node (warm) and starts, then
// the 50 MB one (room on either node). Waits: 0, 0, 1 s, 0.5 s.
TEST(NonForcedScheduling, HeldAtTheControllerUntilMemoryFrees) {
  auto w = workload({function(0, 150, seconds(1), 0), function(1, 50, seconds(1), 0)},
                    {call(0, 0, seconds(1)), call(0, 0, seconds(5)), call(0, 0, seconds(1)),
                     call(1, millis(500), seconds(1))});
  const SimResult r = run_simulation(w, nodes(2, 200, "openwhisk:overload=wait"));
  EXPECT_EQ(r.metrics.completed(), 4u);
  EXPECT_EQ(r.metrics.dropped(), 0u);
  EXPECT_EQ(r.metrics.wait().max(), seconds(1));
  EXPECT_EQ(r.metrics.starts(StartKind::kWarm), 1u);  // the held one reuses the freed container
  EXPECT_EQ(r.metrics.cold_starts(), 3u);
  EXPECT_EQ(r.end_us, seconds(5));
}

// Forced (OpenWhisk's default), the 50 MB invocation is not held back: it starts on arrival.
TEST(NonForcedScheduling, ForcedDoesNotHold) {
  auto w = workload({function(0, 150, seconds(1), 0), function(1, 50, seconds(1), 0)},
                    {call(0, 0, seconds(1)), call(0, 0, seconds(5)), call(0, 0, seconds(1)),
                     call(1, millis(500), seconds(1))});
  const SimResult r = run_simulation(w, nodes(2, 200, "openwhisk"));
  EXPECT_EQ(r.metrics.completed(), 4u);
  EXPECT_GE(r.metrics.wait().max(), seconds(1));  // the forced one waits at its random invoker (1 s or 5 s)
  EXPECT_EQ(r.metrics.wait().min(), 0);
}

// Memory limits: a 6 MB function runs in a 128 MB container, a 1000 MB one in a 512 MB container, so it
// fits a 600 MB node instead of being dropped (it evicts the first one's idle 128 MB container: 472 MB
// free is not enough).
TEST(ActionMemoryLimits, ClampSemaphoreAndContainer) {
  auto make = [] {
    return workload({function(0, 6, seconds(1), 0), function(1, 1000, seconds(1), 0)},
                    {call(0, 0, seconds(1)), call(1, seconds(10), seconds(1))});
  };
  SimConfig c = nodes(1, 600, "openwhisk");
  auto unclamped = make();
  const SimResult a = run_simulation(unclamped, c);
  EXPECT_EQ(a.metrics.dropped(model::DropReason::kTooLarge), 1u);
  EXPECT_EQ(a.peak_memory_mb, 6);
  c.memory_min_mb = 128;
  c.memory_max_mb = 512;
  auto clamped = make();
  const SimResult b = run_simulation(clamped, c);
  EXPECT_EQ(b.metrics.dropped(), 0u);
  EXPECT_EQ(b.metrics.completed(), 2u);
  EXPECT_EQ(b.evictions, 1u);
  EXPECT_EQ(b.peak_memory_mb, 512);
  c.memory_min_mb = 600;
  auto bad = make();
  EXPECT_THROW(run_simulation(bad, c), std::invalid_argument);  // min above max
}

model::FunctionSpec nodejs(model::FunctionId id, model::MegaBytes memory) {
  model::FunctionSpec f = function(id, memory, seconds(1), seconds(1));
  f.runtime = model::RuntimeKind::kNodejs;
  return f;
}

model::FunctionSpec python(model::FunctionId id, model::MegaBytes memory) {
  model::FunctionSpec f = function(id, memory, seconds(1), seconds(1));
  f.runtime = model::RuntimeKind::kPython;
  return f;
}

// Static stem cells (two nodejs 256 MB per node from t=0) serve only functions of that runtime needing
// exactly 256 MB: a nodejs 128 MB function starts cold. The reactive policy matches memory ≤ 256.
TEST(StaticStemCells, MatchRuntimeAndExactMemory) {
  auto make = [] {
    return workload({nodejs(0, 128), python(1, 256), nodejs(2, 256)},
                    {call(0, seconds(1), seconds(1)), call(1, seconds(1), seconds(1)), call(2, seconds(1), seconds(1))});
  };
  auto w = make();
  const SimResult r = run_simulation(w, nodes(1, 4000, "openwhisk", "openwhisk-static"));
  EXPECT_EQ(r.metrics.starts(StartKind::kPrewarm), 1u);  // nodejs 256 only
  EXPECT_EQ(r.metrics.cold_starts(), 2u);                // nodejs 128, python 256
  auto v = make();
  const SimResult reactive = run_simulation(v, nodes(1, 4000, "openwhisk", "openwhisk:runtimes=nodejs,initial=2"));
  EXPECT_EQ(reactive.metrics.starts(StartKind::kPrewarm), 2u);  // nodejs 128 and 256
  EXPECT_EQ(reactive.metrics.cold_starts(), 1u);                // python 256
}

// Three nodejs-256 invocations at once at 1 s all start on a stem cell: each one taken is replaced at
// once, and the third takes the first replacement. Reactive stem cells wait for the next 1-minute tick:
// the third starts cold.
TEST(StaticStemCells, RefilledAtOnce) {
  auto make = [] {
    return workload({nodejs(0, 256)},
                    {call(0, seconds(1), seconds(1)), call(0, seconds(1), seconds(1)), call(0, seconds(1), seconds(1))});
  };
  auto w = make();
  const SimResult r = run_simulation(w, nodes(1, 4000, "openwhisk", "openwhisk-static"));
  EXPECT_EQ(r.metrics.starts(StartKind::kPrewarm), 3u);
  EXPECT_EQ(r.metrics.cold_starts(), 0u);
  EXPECT_EQ(r.containers_created, 2u + 3u);  // 2 at t=0, 3 replacements
  auto v = make();
  const SimResult reactive = run_simulation(v, nodes(1, 4000, "openwhisk", "openwhisk:runtimes=nodejs,initial=2"));
  EXPECT_EQ(reactive.metrics.starts(StartKind::kPrewarm), 2u);
  EXPECT_EQ(reactive.metrics.cold_starts(), 1u);
}

// Never evicted: a 1000 MB node holds two 256 MB stem cells. A python 400 MB function runs at 1 s and
// idles; a second python 400 MB one at 5 s finds 88 MB free. Static stem cells are no eviction
// candidates, so the idle container goes (1 eviction) and a nodejs-256 call at 10 s still finds a stem
// cell. Reactive stem cells go first (lowest priority: idle since t=0): two evictions, then the nodejs
// call starts cold and evicts the first python container (3).
TEST(StaticStemCells, NeverEvicted) {
  auto make = [] {
    return workload({python(0, 400), python(1, 400), nodejs(2, 256)},
                    {call(0, seconds(1), seconds(1)), call(1, seconds(5), seconds(1)), call(2, seconds(10), seconds(1))});
  };
  auto w = make();
  const SimResult r = run_simulation(w, nodes(1, 1000, "openwhisk", "openwhisk-static"));
  EXPECT_EQ(r.evictions, 1u);
  EXPECT_EQ(r.metrics.starts(StartKind::kPrewarm), 1u);
  auto v = make();
  const SimResult reactive = run_simulation(v, nodes(1, 1000, "openwhisk", "openwhisk:runtimes=nodejs,initial=2,min=0"));
  EXPECT_EQ(reactive.evictions, 3u);
  EXPECT_EQ(reactive.metrics.starts(StartKind::kPrewarm), 0u);
}

// Property: with non-forced scheduling, static stem cells and memory limits in any mix, every invocation
// completes (none is held forever, none is lost) or is dropped with a reason, and no node ever holds more
// memory or runs more invocations than it has (check_invariants).
RC_GTEST_PROP(OpenWhisk2020Property, EveryInvocationCompletesOrIsDropped, ()) {
  std::vector<model::FunctionSpec> functions;
  const int nfun = *rc::gen::inRange(1, 8);
  for (int i = 0; i < nfun; ++i) {
    auto f = function(static_cast<model::FunctionId>(i), *rc::gen::element<model::MegaBytes>(6, 128, 256, 300, 700),
                      seconds(1), *rc::gen::inRange<model::Micros>(0, seconds(2)));
    f.runtime = static_cast<model::RuntimeKind>(*rc::gen::inRange(0, 3));
    functions.push_back(f);
  }
  std::vector<model::Invocation> calls;
  for (int i = *rc::gen::inRange(0, 150); i > 0; --i)
    calls.push_back(call(static_cast<model::FunctionId>(*rc::gen::inRange(0, nfun)),
                         *rc::gen::inRange<model::Micros>(0, model::minutes(5)),
                         *rc::gen::inRange<model::Micros>(0, seconds(20))));
  const auto n = calls.size();
  SimConfig c = nodes(*rc::gen::inRange(1u, 5u), *rc::gen::inRange<model::MegaBytes>(300, 2000),
                      *rc::gen::element("openwhisk:overload=wait", "openwhisk:managed=0.9,overload=wait",
                                        "openwhisk:managed=0.9"),
                      *rc::gen::element("none", "openwhisk-static", "openwhisk-static:runtimes=nodejs+python,count=3"));
  c.node_cores = *rc::gen::inRange(1, 4);
  c.keepalive = *rc::gen::element("openwhisk:pause=50ms", "ttl:1m", "lru");
  if (*rc::gen::arbitrary<bool>()) c.memory_min_mb = 128, c.memory_max_mb = 512;
  c.seed = *rc::gen::inRange<std::uint64_t>(1, 1000);
  auto w = workload(functions, calls, model::minutes(5));
  const SimResult r = run_simulation(w, c);
  RC_ASSERT(r.metrics.invocations() == n);
  RC_ASSERT(r.metrics.completed() + r.metrics.dropped() == n);
  RC_ASSERT(r.metrics.dropped(model::DropReason::kNoNode) == 0u);
}

}  // namespace
}  // namespace hearth::sim
