// Snapshot-and-release keep-alive (policy/snapshot_release_keepalive.h): hand-computed restore costs,
// idle decisions and the per-node LRU snapshot store.
#include <gtest/gtest.h>

#include <stdexcept>

#include "policy/registry.h"
#include "policy/snapshot_release_keepalive.h"
#include "tests/policy/fake_cluster.h"

namespace hearth::policy {
namespace {

using model::kMicrosPerMilli;
using model::kMicrosPerMinute;
using model::kMicrosPerSecond;
using testing::container;
using testing::fn;

TEST(SnapshotRelease, RestoreCostIsBasePlusImageOverRate) {
  SnapshotReleaseKeepAlive p({});
  // 475 ms + 360 MB / 360 MB/s = 1475 ms; 475 ms + 36 MB / 360 MB/s = 575 ms.
  EXPECT_EQ(p.restore_us(fn(0, 360, 10 * kMicrosPerSecond)), 1475 * kMicrosPerMilli);
  EXPECT_EQ(p.restore_us(fn(1, 36, 10 * kMicrosPerSecond)), 575 * kMicrosPerMilli);
  SnapshotReleaseParams half;
  half.image_fraction = 0.5;  // 180 MB image of 360 MB: 475 + 500 ms
  EXPECT_EQ(SnapshotReleaseKeepAlive(half).restore_us(fn(0, 360, 0)), 975 * kMicrosPerMilli);
}

TEST(SnapshotRelease, IdleContainersLiveTheIdleTimeOnlyWhenARestoreBeatsTheColdStart) {
  SnapshotReleaseKeepAlive p({});
  const model::FunctionSpec slow = fn(0, 36, 2 * kMicrosPerSecond);   // restore 575 ms < 2 s
  const model::FunctionSpec fast = fn(1, 36, 500 * kMicrosPerMilli);  // restore 575 ms >= 500 ms
  EXPECT_TRUE(p.worth_snapshot(slow));
  EXPECT_FALSE(p.worth_snapshot(fast));
  EXPECT_EQ(p.on_idle(container(0, 0, 36), slow, 7).expires_us, 7 + kMicrosPerMinute);
  EXPECT_EQ(p.on_idle(container(0, 1, 36), fast, 7).expires_us, 7 + 10 * kMicrosPerMinute);
  EXPECT_LT(p.on_idle(container(0, 0, 36), slow, 1).priority, p.on_idle(container(0, 0, 36), slow, 2).priority);
  // Released: only the function worth it gets a snapshot, on its own node.
  p.on_evict(container(0, 0, 36), /*pressure=*/false, kMicrosPerMinute);
  p.on_evict(container(0, 1, 36), /*pressure=*/false, kMicrosPerMinute);
  EXPECT_TRUE(p.has_snapshot(0, 0));
  EXPECT_FALSE(p.has_snapshot(0, 1));
  EXPECT_EQ(p.restore_from_snapshot(0, slow, 2 * kMicrosPerMinute), 575 * kMicrosPerMilli);
  EXPECT_EQ(p.restore_from_snapshot(1, slow, 2 * kMicrosPerMinute), std::nullopt);  // another node has none
  EXPECT_EQ(p.restore_from_snapshot(0, fast, 2 * kMicrosPerMinute), std::nullopt);
  // An eviction under memory pressure snapshots too (the container is idle either way).
  p.on_evict(container(1, 0, 36), /*pressure=*/true, 0);
  EXPECT_TRUE(p.has_snapshot(1, 0));
  EXPECT_EQ(p.snapshots_taken(), 2u);
}

TEST(SnapshotRelease, TheNodesDiskBudgetEvictsTheLeastRecentlyUsedSnapshot) {
  SnapshotReleaseParams params;
  params.disk_mb = 100;
  SnapshotReleaseKeepAlive p(params);
  const model::MegaBytes mb = 40;
  for (model::FunctionId f = 0; f < 4; ++f) p.on_function_added(fn(f, f == 3 ? 101 : mb, 10 * kMicrosPerSecond));
  p.on_evict(container(0, 0, mb), false, 0);
  p.on_evict(container(0, 1, mb), false, 1);
  EXPECT_DOUBLE_EQ(p.disk_used_mb(0), 80);
  ASSERT_TRUE(p.restore_from_snapshot(0, fn(0, mb, 10 * kMicrosPerSecond), 2));  // f0 used: f1 is now the LRU
  p.on_evict(container(0, 2, mb), false, 3);  // 120 MB > 100: f1 goes
  EXPECT_TRUE(p.has_snapshot(0, 0));
  EXPECT_FALSE(p.has_snapshot(0, 1));
  EXPECT_TRUE(p.has_snapshot(0, 2));
  EXPECT_DOUBLE_EQ(p.disk_used_mb(0), 80);
  EXPECT_EQ(p.snapshots_evicted(), 1u);
  p.on_evict(container(0, 0, mb), false, 4);  // already kept: no second copy
  EXPECT_DOUBLE_EQ(p.disk_used_mb(0), 80);
  p.on_evict(container(0, 3, 101), false, 5);  // larger than the whole budget: not kept, nothing evicted
  EXPECT_FALSE(p.has_snapshot(0, 3));
  EXPECT_DOUBLE_EQ(p.disk_used_mb(0), 80);
  EXPECT_EQ(p.snapshots_taken(), 3u);
}

TEST(SnapshotRelease, IsRegisteredWithItsParameters) {
  PolicyContext ctx;
  const std::vector<model::FunctionSpec> fns{fn(0, 36, 2 * kMicrosPerSecond)};
  ctx.functions = fns;
  auto p = make_keepalive("snapshot-and-release:idle=30s,base=100ms,rate=36", ctx);
  EXPECT_EQ(p->name(), "snapshot-and-release");
  EXPECT_EQ(p->on_idle(container(0, 0, 36), fns[0], 0).expires_us, 30 * kMicrosPerSecond);
  p->on_evict(container(0, 0, 36), false, 0);  // known from the context: snapshotted
  EXPECT_EQ(p->restore_from_snapshot(0, fns[0], 1), 1100 * kMicrosPerMilli);  // 100 ms + 36/36 s
  EXPECT_THROW(make_keepalive("snapshot-and-release:rate=0", ctx), std::invalid_argument);
  EXPECT_THROW(make_keepalive("snapshot-and-release:image=-1", ctx), std::invalid_argument);
  bool listed = false;
  for (const PolicyInfo& info : all_policies()) listed |= info.kind == PolicyKind::kKeepAlive && info.name == "snapshot-and-release";
  EXPECT_TRUE(listed);
}

}  // namespace
}  // namespace hearth::policy
