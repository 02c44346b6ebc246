#include <gtest/gtest.h>

#include "policy/greedy_dual_keepalive.h"
#include "policy/hybrid_histogram_keepalive.h"
#include "policy/openwhisk_keepalive.h"
#include "policy/registry.h"
#include "policy/ttl_keepalive.h"
#include "tests/policy/fake_cluster.h"

namespace hearth::policy {
namespace {

using model::kMicrosPerMinute;
using model::kMicrosPerSecond;
using testing::container;
using testing::fn;

TEST(TtlKeepAlive, ExpiresAfterTtlAndEvictsLeastRecentlyUsed) {
  PolicyContext ctx;
  auto ttl = make_keepalive("ttl:10m", ctx);
  const auto d = ttl->on_idle(container(0, 0, 100), fn(0), 5 * kMicrosPerSecond);
  EXPECT_EQ(d.expires_us, 5 * kMicrosPerSecond + 10 * kMicrosPerMinute);
  EXPECT_EQ(d.prewarm_at_us, model::kNever);
  EXPECT_LT(ttl->on_idle(container(0, 0, 100), fn(0), 1).priority, d.priority);  // older idles go first
  auto lru = make_keepalive("lru", ctx);
  EXPECT_EQ(lru->on_idle(container(0, 0, 100), fn(0), 5).expires_us, model::kNever);
}

TEST(GreedyDual, HandComputedPrioritiesAndClock) {
  // f0: 100 MB, cold start 200 ms; f1: 50 MB, cold start 500 ms.
  std::vector<model::FunctionSpec> fns{fn(0, 100, 200'000), fn(1, 50, 500'000)};
  PolicyContext ctx;
  ctx.functions = fns;
  ctx.node_count = 2;
  GreedyDualKeepAlive gd(ctx);
  gd.on_arrival(fns[0], 0);
  gd.on_arrival(fns[0], 1);
  gd.on_arrival(fns[1], 2);
  auto c0 = container(0, 0, 100), c1 = container(0, 1, 50);
  // priority = clock + freq × cost_ms / MB
  EXPECT_DOUBLE_EQ(gd.on_idle(c0, fns[0], 3).priority, 0 + 2 * 200.0 / 100);  // 4
  EXPECT_DOUBLE_EQ(gd.on_idle(c1, fns[1], 3).priority, 0 + 1 * 500.0 / 50);   // 10
  c0.priority = 4;
  gd.on_evict(c0, /*pressure=*/true, 4);  // clock of node 0 becomes 4
  EXPECT_DOUBLE_EQ(gd.clock(0), 4);
  EXPECT_DOUBLE_EQ(gd.clock(1), 0);  // clocks are per node
  gd.on_arrival(fns[1], 5);
  EXPECT_DOUBLE_EQ(gd.on_idle(c1, fns[1], 6).priority, 4 + 2 * 500.0 / 50);  // 24
  c1.priority = 1;
  gd.on_evict(c1, /*pressure=*/false, 7);  // expiry does not move the clock
  EXPECT_DOUBLE_EQ(gd.clock(0), 4);
  EXPECT_EQ(gd.on_idle(c1, fns[1], 8).expires_us, model::kNever);
}

TEST(OpenWhiskKeepAlive, PausesAfterGraceAndDestroysAfterTtl) {
  PolicyContext ctx;
  auto ow = make_keepalive("openwhisk", ctx);
  auto c = container(0, 0, 100);
  c.last_used_us = 0;
  EXPECT_EQ(ow->on_idle(c, fn(0), 0).expires_us, 10 * kMicrosPerMinute);
  EXPECT_EQ(ow->resume_cost(c, 9 * kMicrosPerSecond), 0);
  EXPECT_EQ(ow->resume_cost(c, 10 * kMicrosPerSecond), 5'000);  // paused: unpause costs 5 ms
  auto custom = make_keepalive("openwhisk:ttl=1m,pause=1s,unpause=20ms", ctx);
  EXPECT_EQ(custom->resume_cost(c, kMicrosPerSecond), 20'000);
  EXPECT_EQ(custom->on_idle(c, fn(0), 0).expires_us, kMicrosPerMinute);
}

struct HybridFixture : ::testing::Test {
  std::vector<model::FunctionSpec> fns{fn(0, 100, 0, /*app=*/0), fn(1, 100, 0, /*app=*/1)};
  PolicyContext ctx() {
    PolicyContext c;
    c.functions = fns;
    return c;
  }
  // One execution ending at `end`, then the next arrival `idle` later.
  static model::Micros cycle(HybridHistogramKeepAlive& h, const model::FunctionSpec& f, model::Micros end,
                             model::Micros idle) {
    h.on_idle(container(0, f.id, 100), f, end);
    h.on_arrival(f, end + idle);
    return end + idle;
  }
};

TEST_F(HybridFixture, UnrepresentativeFallsBackToTheRange) {
  HybridHistogramKeepAlive h(ctx(), HybridHistogramParams{});
  const auto d = h.on_idle(container(0, 0, 100), fns[0], 0);
  EXPECT_EQ(d.expires_us, 4 * model::kMicrosPerHour);
  EXPECT_EQ(d.prewarm_at_us, model::kNever);
}

TEST_F(HybridFixture, WindowsFromHandBuiltIdleTimes) {
  HybridHistogramKeepAlive h(ctx(), HybridHistogramParams{});
  // 20 idle times: 10 of 5.5 min (bin 5) and 10 of 8.2 min (bin 8).
  model::Micros t = 0;
  for (int i = 0; i < 10; ++i) t = cycle(h, fns[0], t, 5 * kMicrosPerMinute + 30 * kMicrosPerSecond) + 1000;
  for (int i = 0; i < 10; ++i) t = cycle(h, fns[0], t, 8 * kMicrosPerMinute + 12 * kMicrosPerSecond) + 1000;
  const auto w = h.windows(0);
  ASSERT_TRUE(w.representative);
  EXPECT_EQ(w.prewarm_us, static_cast<model::Micros>(5 * kMicrosPerMinute * 0.9));   // head bin 5, lower edge
  EXPECT_EQ(w.keepalive_us, static_cast<model::Micros>(9 * kMicrosPerMinute * 1.1));  // tail bin 8, upper edge
  const auto d = h.on_idle(container(0, 0, 100), fns[0], t);
  EXPECT_EQ(d.expires_us, t);  // released at once …
  EXPECT_EQ(d.prewarm_at_us, t + w.prewarm_us);  // … and pre-loaded before the next predicted arrival
  EXPECT_EQ(d.prewarm_expires_us, t + w.keepalive_us);
  EXPECT_FALSE(h.windows(1).representative);  // per application
}

TEST_F(HybridFixture, ZeroHeadKeepsTheContainerAlive) {
  HybridHistogramKeepAlive h(ctx(), HybridHistogramParams{});
  model::Micros t = 0;
  for (int i = 0; i < 12; ++i) t = cycle(h, fns[0], t, 20 * kMicrosPerSecond) + 1000;  // bin 0
  const auto d = h.on_idle(container(0, 0, 100), fns[0], t);
  EXPECT_EQ(d.prewarm_at_us, model::kNever);
  EXPECT_EQ(d.expires_us, t + static_cast<model::Micros>(kMicrosPerMinute * 1.1));
}

TEST_F(HybridFixture, MostlyOutOfBoundsIsNotRepresentative) {
  HybridHistogramKeepAlive h(ctx(), HybridHistogramParams{});
  model::Micros t = 0;
  for (int i = 0; i < 10; ++i) t = cycle(h, fns[0], t, kMicrosPerMinute) + 1;
  for (int i = 0; i < 11; ++i) t = cycle(h, fns[0], t, 5 * model::kMicrosPerHour) + 1;
  EXPECT_FALSE(h.windows(0).representative);
}

TEST_F(HybridFixture, SpreadOutIdleTimesAreNotRepresentative) {
  HybridHistogramKeepAlive h(ctx(), HybridHistogramParams{});
  model::Micros t = 0;
  // 30 idle times of 30 s and one of 200 min: mean 6.9 min, std-dev 35 min, CV 5.1 > 2.
  for (int i = 0; i < 30; ++i) t = cycle(h, fns[0], t, 30 * kMicrosPerSecond) + 1;
  EXPECT_TRUE(h.windows(0).representative);
  cycle(h, fns[0], t, 200 * kMicrosPerMinute);
  EXPECT_FALSE(h.windows(0).representative);
}

TEST_F(HybridFixture, ConcurrentArrivalsRecordOneIdleTimePerEnd) {
  HybridHistogramKeepAlive h(ctx(), HybridHistogramParams{});
  model::Micros t = 0;
  for (int i = 0; i < 9; ++i) t = cycle(h, fns[0], t, kMicrosPerMinute) + 1;
  h.on_arrival(fns[0], t + 1);  // no execution ended since: not an idle time
  h.on_arrival(fns[0], t + 2);
  EXPECT_FALSE(h.windows(0).representative);  // still 9 < 10 samples
  cycle(h, fns[0], t + 3, kMicrosPerMinute);
  EXPECT_TRUE(h.windows(0).representative);
}

}  // namespace
}  // namespace hearth::policy
