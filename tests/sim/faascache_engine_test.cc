// Hand-worked runs of the FaasCache-compatible engine (sim/faascache_engine.h), one behaviour of
// FaasCache's LambdaScheduler.py each, plus Python heapq layouts (golden runs: tests/golden/faascache_golden_test.cc).
#include "sim/faascache_engine.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <utility>
#include <vector>

#include "sim/py_heap.h"
#include "tests/sim/fixed_workload.h"

namespace hearth::sim {
namespace {

using model::millis;
using model::minutes;
using model::seconds;
using model::StartKind;
using namespace testing;

// A function of `mb` MB whose hit takes `avg_ms` and whose miss takes `max_ms` (Average, Maximum).
model::FunctionSpec fn(model::FunctionId id, model::MegaBytes mb, std::int64_t avg_ms, std::int64_t max_ms) {
  return function(id, mb, millis(avg_ms), millis(max_ms - avg_ms));
}

model::Invocation at(model::FunctionId f, model::Micros t) { return call(f, t, 0); }

SimResult run(std::vector<model::FunctionSpec> fns, std::vector<model::Invocation> calls, model::MegaBytes pool,
              const char* keepalive) {
  trace::Workload w = workload(std::move(fns), std::move(calls));
  FaasCacheConfig c;
  c.memory_mb = pool;
  c.keepalive = keepalive;
  c.check_invariants = true;
  return run_faascache(w, c);
}

std::uint64_t warm(const SimResult& r) { return r.metrics.starts(StartKind::kWarm); }
std::uint64_t cold(const SimResult& r) { return r.metrics.cold_starts(); }
std::uint64_t dropped(const SimResult& r) { return r.metrics.dropped(model::DropReason::kNoMemory); }

TEST(FaasCachePyHeap, MatchesCPythonLayoutOnTies) {
  // Python: h = [(1,'a'),(1,'b'),(1,'c')] with __lt__ on the first field only; heapify(h) gives
  // [c, b, a] (siftup prefers the right child on a tie); heappop then returns c and leaves [b, a].
  std::vector<std::pair<int, char>> h{{1, 'a'}, {1, 'b'}, {1, 'c'}};
  auto less = [](const auto& x, const auto& y) { return x.first < y.first; };
  py::heapify(h, less);
  EXPECT_EQ(h[0].second, 'c');
  EXPECT_EQ(h[1].second, 'b');
  EXPECT_EQ(h[2].second, 'a');
  EXPECT_EQ(py::heappop(h, less).second, 'c');
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].second, 'b');
  EXPECT_EQ(h[1].second, 'a');
  // heapify([3, 1, 2]) == [1, 3, 2]; heappush(h, 0) == [0, 1, 2, 3].
  std::vector<int> v{3, 1, 2};
  auto lt = [](int x, int y) { return x < y; };
  py::heapify(v, lt);
  EXPECT_EQ(v, (std::vector<int>{1, 3, 2}));
  py::heappush(v, 0, lt);
  EXPECT_EQ(v, (std::vector<int>{0, 1, 2, 3}));
}

TEST(FaasCacheEngine, HitRunsAverageMissRunsMaximum) {
  // One 100 MB function, Average 10 ms, Maximum 100 ms. t=0 miss; t=50 ms its container is still
  // running, so a second miss; t=100 ms the first container finished exactly then (now >= finish): hit.
  const SimResult r = run({fn(0, 100, 10, 100)}, {at(0, 0), at(0, millis(50)), at(0, millis(100))}, 1000, "lru");
  EXPECT_EQ(cold(r), 2u);
  EXPECT_EQ(warm(r), 1u);
  EXPECT_EQ(r.metrics.latency().max(), millis(100));
  EXPECT_EQ(r.metrics.latency().min(), millis(10));
  EXPECT_EQ(r.containers_created, 2u);
  EXPECT_EQ(r.peak_memory_mb, 200);
  EXPECT_EQ(r.end_us, millis(150));  // the second miss ends at 50 + 100 ms
  // Held: 100 MB over [0, 50 ms), 200 MB over [50, 150 ms); busy: 100+100+10 ms of 100 MB.
  EXPECT_NEAR(r.total_memory_gb_s, (100.0 * 0.05 + 200.0 * 0.1) / 1024.0, 1e-12);
  EXPECT_NEAR(r.idle_memory_gb_s, (100.0 * 0.05 + 200.0 * 0.1 - 100.0 * 0.21) / 1024.0, 1e-12);
}

TEST(FaasCacheEngine, DropsWhenOnlyRunningContainersHoldTheMemory) {
  // Pool 100 MB: the second invocation arrives while the only container runs (it is never evicted),
  // so it is dropped; after the run ends the container is warm again.
  const SimResult r = run({fn(0, 100, 1000, 1000)}, {at(0, 0), at(0, millis(10)), at(0, seconds(2))}, 100, "gd");
  EXPECT_EQ(cold(r), 1u);
  EXPECT_EQ(dropped(r), 1u);
  EXPECT_EQ(warm(r), 1u);
  EXPECT_EQ(r.metrics.invocations(), 3u);
  EXPECT_EQ(r.evictions, 0u);
}

TEST(FaasCacheEngine, EvictionSkipsRunningAndDropsIfStillShort) {
  // Pool 200 MB. f0 runs 10 s from t=0; f1 (idle from 100 ms); f2 at 1 s needs 150 MB: the heap pops
  // f0 (running, saved) and f1 (evicted: 100 MB freed, 50 short) — then the pool is empty, the new
  // container does not fit and f2 is dropped; f1's container stays evicted. f0 at 11 s is still a hit.
  const SimResult r = run({fn(0, 100, 10000, 10000), fn(1, 100, 100, 100), fn(2, 150, 10, 10)},
                          {at(0, 0), at(1, millis(1)), at(2, seconds(1)), at(1, seconds(2)), at(0, seconds(11))},
                          200, "lru");
  EXPECT_EQ(dropped(r), 1u);
  EXPECT_EQ(r.evictions, 1u);
  EXPECT_EQ(cold(r), 3u);  // f0, f1, f1 again
  EXPECT_EQ(warm(r), 1u);  // f0 at 11 s
}

TEST(FaasCacheEngine, EvictionFreesTheWholeNewSizeNotJustTheShortfall) {
  // Pool 300 MB holding f0 (100 MB, used at 0) and f1 (100 MB, used at 1 s); 100 MB free. f2 needs
  // 150 MB: FaasCache frees its full size (to_free = 150) rather than the 50 MB shortfall, so LRU pops
  // f0 and then f1. f1 at 3 s is therefore a miss (it would hit if only the shortfall were freed).
  const SimResult r = run({fn(0, 100, 10, 10), fn(1, 100, 10, 10), fn(2, 150, 10, 10)},
                          {at(0, 0), at(1, seconds(1)), at(2, seconds(2)), at(1, seconds(3))}, 300, "lru");
  EXPECT_EQ(r.evictions, 2u);
  EXPECT_EQ(cold(r), 4u);
  EXPECT_EQ(warm(r), 0u);
}

TEST(FaasCacheEngine, GreedyDualEvictionOrderAndClock) {
  // Pool 300 MB, functions of 100 MB with warm 10 ms; cost/size = (Maximum − Average)/100:
  //   A 1.5, B 4.0, C 2.0, D 0.5. Priority = clock + freq·cost/size, clock starts at 0.
  //   0 s A miss → A 1.5;  1 s B miss → B 4.0;  2 s C miss → C 2.0;  3 s A hit (freq 2) → A 3.0
  //   4 s D miss: evict C (2.0), clock 2.0, D = 2.5      5 s C miss: evict D (2.5), clock 2.5, C = 4.5
  //   6 s D miss: evict A (3.0), clock 3.0, D = 3.5      7 s A miss: evict D (3.5), clock 3.5, A = 5.0
  //   8 s B hit (freq 2) → B = 3.5 + 8 = 11.5            9 s D miss: evict C (4.5), clock 4.5, D = 5.0
  //  10 s B hit; 11 s A hit (A 5.0 survived; LRU would have evicted it at 9 s).
  const SimResult r = run({fn(0, 100, 10, 160), fn(1, 100, 10, 410), fn(2, 100, 10, 210), fn(3, 100, 10, 60)},
                          {at(0, 0), at(1, seconds(1)), at(2, seconds(2)), at(0, seconds(3)), at(3, seconds(4)),
                           at(2, seconds(5)), at(3, seconds(6)), at(0, seconds(7)), at(1, seconds(8)),
                           at(3, seconds(9)), at(1, seconds(10)), at(0, seconds(11))},
                          300, "greedy-dual");
  EXPECT_EQ(cold(r), 8u);
  EXPECT_EQ(warm(r), 4u);
  EXPECT_EQ(r.evictions, 5u);
  EXPECT_EQ(dropped(r), 0u);
  // Under LRU the 4 s miss evicts B (least recently used) instead of C, and the counts differ.
  const SimResult lru = run({fn(0, 100, 10, 160), fn(1, 100, 10, 410), fn(2, 100, 10, 210), fn(3, 100, 10, 60)},
                            {at(0, 0), at(1, seconds(1)), at(2, seconds(2)), at(0, seconds(3)), at(3, seconds(4)),
                             at(2, seconds(5)), at(3, seconds(6)), at(0, seconds(7)), at(1, seconds(8)),
                             at(3, seconds(9)), at(1, seconds(10)), at(0, seconds(11))},
                            300, "lru");
  EXPECT_NE(cold(lru), cold(r));
}

TEST(FaasCacheEngine, GreedyDualFrequencyIsSharedByAFunctionsContainers) {
  // Pool 300 MB; A (cost/size 1.0) gets two containers (the second while the first runs): both get
  // priority 0 + (1+1)·1.0 = 2.0. B (1.5) fills the pool. C (1.8) at 2 s evicts B — with per-container
  // frequencies the A containers would be at 1.0 and go first. clock 1.5, C = 3.3.
  // B at 3 s misses and evicts one A container (2.0), clock 2.0. A at 4 s hits the other one.
  const SimResult r = run({fn(0, 100, 10, 110), fn(1, 100, 10, 160), fn(2, 100, 10, 190)},
                          {at(0, 0), at(0, millis(5)), at(1, seconds(1)), at(2, seconds(2)), at(1, seconds(3)),
                           at(0, seconds(4))},
                          300, "gd");
  EXPECT_EQ(cold(r), 5u);
  EXPECT_EQ(warm(r), 1u);
  EXPECT_EQ(r.evictions, 2u);
}

TEST(FaasCacheEngine, TtlExpiresLazilyOnTheFunctionsNextInvocation) {
  // TTL 10 min. Accessed at 0; at exactly 10 min it is still fresh (purged only if last + TTL < now);
  // at 20 min + 1 µs it is purged when the function arrives, so that invocation is a miss.
  const SimResult r = run({fn(0, 100, 10, 100)}, {at(0, 0), at(0, minutes(10)), at(0, minutes(20) + 1)}, 1000,
                          "ttl");
  EXPECT_EQ(cold(r), 2u);
  EXPECT_EQ(warm(r), 1u);
  EXPECT_EQ(r.expirations, 1u);
  // Lazy: an expired container still holds memory until its function returns. Until 20 min + 1 µs the
  // pool holds 100 MB throughout, then 100 MB again for the new container's 100 ms run.
  EXPECT_NEAR(r.total_memory_gb_s, 100.0 * (1200.000001 + 0.1) / 1024.0, 1e-6);
}

TEST(FaasCacheEngine, TtlExpiredContainerIsEvictedUnderPressureNotExpired) {
  // f0's container expired (TTL 1 min) long before f1 arrives, but nobody purged it: f1's miss evicts it.
  const SimResult r = run({fn(0, 100, 10, 100), fn(1, 100, 10, 100)}, {at(0, 0), at(1, minutes(30))}, 100,
                          "ttl:1m");
  EXPECT_EQ(r.evictions, 1u);
  EXPECT_EQ(r.expirations, 0u);
  EXPECT_EQ(cold(r), 2u);
}

TEST(FaasCacheEngine, HistogramPrewarmsAndPurgesPerFunction) {
  // f every 3 min (0, 3, 6, 9 min). At 6 min its idle-minute histogram holds {3: 2}: mean 3,
  // variance 0 → keep-alive 4·60 s·1.1 = 264 s, prewarm 2·60 s·0.9 = 108 s (head = bucket 2,
  // tail = bucket 4). From then on a finished container of f is purged at the next activation.
  //  - without other traffic, f's container is purged at 9 min and nothing prewarmed it: a miss;
  //  - with g at 7 min: g's activation purges f's finished container and, since 6 min + 108 s
  //    >= 7 min, loads a fresh f container at 7 min; f at 9 min hits it (7 min + 264 s >= 9 min).
  const std::vector<model::Invocation> f_calls{at(0, 0), at(0, minutes(3)), at(0, minutes(6)), at(0, minutes(9))};
  const SimResult alone = run({fn(0, 100, 10, 100), fn(1, 50, 10, 100)}, f_calls, 1000, "hist");
  EXPECT_EQ(cold(alone), 2u);
  EXPECT_EQ(warm(alone), 2u);
  EXPECT_EQ(alone.expirations, 1u);
  EXPECT_EQ(alone.containers_created, 2u);

  std::vector<model::Invocation> with_g = f_calls;
  with_g.push_back(at(1, minutes(7)));
  const SimResult r = run({fn(0, 100, 10, 100), fn(1, 50, 10, 100)}, with_g, 1000, "hybrid-histogram");
  EXPECT_EQ(cold(r), 2u);  // f at 0, g at 7 min
  EXPECT_EQ(warm(r), 3u);  // f at 3, 6 and 9 min (the last on the prewarmed container)
  EXPECT_EQ(r.expirations, 1u);
  EXPECT_EQ(r.containers_created, 3u);
}

TEST(FaasCacheEngine, KeepAliveNames) {
  EXPECT_EQ(parse_faascache_keepalive("greedy-dual").policy, FaasCachePolicy::kGreedyDual);
  EXPECT_EQ(parse_faascache_keepalive("GD").policy, FaasCachePolicy::kGreedyDual);
  EXPECT_EQ(parse_faascache_keepalive("hybrid-histogram").policy, FaasCachePolicy::kHistogram);
  EXPECT_EQ(parse_faascache_keepalive("HIST").policy, FaasCachePolicy::kHistogram);
  EXPECT_EQ(parse_faascache_keepalive("lru").policy, FaasCachePolicy::kLru);
  EXPECT_EQ(parse_faascache_keepalive("ttl").ttl_us, minutes(10));
  EXPECT_EQ(parse_faascache_keepalive("ttl:5m").ttl_us, minutes(5));
  EXPECT_THROW(parse_faascache_keepalive("openwhisk"), std::invalid_argument);
  EXPECT_THROW(parse_faascache_keepalive("gd:bogus=1"), std::invalid_argument);
}

TEST(FaasCacheEngine, Deterministic) {
  auto once = [] {
    std::vector<model::Invocation> calls;
    for (int i = 0; i < 400; ++i) calls.push_back(at(static_cast<model::FunctionId>(i * 7 % 5), millis(i * 137)));
    return run({fn(0, 100, 10, 300), fn(1, 60, 40, 90), fn(2, 200, 5, 700), fn(3, 30, 100, 150),
                fn(4, 120, 20, 40)},
               calls, 330, "gd");
  };
  const SimResult a = once();
  const SimResult b = once();
  EXPECT_EQ(cold(a), cold(b));
  EXPECT_EQ(warm(a), warm(b));
  EXPECT_EQ(dropped(a), dropped(b));
  EXPECT_EQ(a.evictions, b.evictions);
  EXPECT_EQ(cold(a) + warm(a) + dropped(a), 400u);
}

}  // namespace
}  // namespace hearth::sim
