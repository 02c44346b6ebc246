// The dispatcher's snapshot-and-release path with a fake factory (no runsc): the keep-alive policy
// decides from the measured cold start (restore model: 475 ms + 128 MB / 360 MB/s = 831 ms for these
// 128 MB actions), a released container leaves the pool with its memory and the factory is asked to
// snapshot it with its last run's parameters, the next cold start restores, a function not worth a
// snapshot stays idle (ttl), and without snapshots the policy is refused. The real platform: the e2e
// SnapshotRelease tests.
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "invoker/local_dispatcher.h"
#include "tests/invoker/fake_factory.h"

namespace hearth::invoker {
namespace {

// A restored container: echoes its params, reports from_snapshot().
class RestoredContainer final : public LiveContainer {
 public:
  explicit RestoredContainer(std::string id) : id_(std::move(id)) {}
  RunOutcome run(const std::string& params, std::int64_t) override {
    RunOutcome o;
    o.result_json = params;
    return o;
  }
  const std::string& id() const override { return id_; }
  bool from_snapshot() const override { return true; }

 private:
  std::string id_;
};

// Cold starts "take" `cold_us` (reported, not slept); snapshot() records its calls and makes the
// revision restorable unless `fail_restores`.
class SnapshotFactory final : public ContainerFactory {
 public:
  explicit SnapshotFactory(std::int64_t cold_us) : cold_us_(cold_us) {}
  std::unique_ptr<LiveContainer> create(const net::ActionRecord&, std::int64_t* init_us, std::string*) override {
    *init_us = cold_us_;
    ++created;
    return std::make_unique<FakeContainer>("c" + std::to_string(created.load()));
  }
  bool release_to_snapshots(std::string*) override { return true; }
  void snapshot(const net::ActionRecord& action, const std::string& params_json) override {
    std::lock_guard lock(mu);
    snapshots.push_back({action.name, params_json});
  }
  std::unique_ptr<LiveContainer> restore(const net::ActionRecord& action, std::int64_t* init_us, std::string* error) override {
    std::lock_guard lock(mu);
    *init_us = 900'000;
    for (const auto& [name, params] : snapshots)
      if (name == action.name && !fail_restores) {
        ++restored;
        return std::make_unique<RestoredContainer>("r" + std::to_string(restored));
      }
    *error = fail_restores ? "restoring the snapshot failed: test" : "";
    return nullptr;
  }
  std::int64_t snapshot_bytes() const override { return 7 << 20; }
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> snapshots;  // (action, params) per snapshot() call
  int restored = 0;
  bool fail_restores = false;
  std::atomic<int> created{0};

 private:
  std::int64_t cold_us_;
};

net::ActionRecord action(const std::string& name) {
  net::ActionRecord a;
  a.ns = "guest";
  a.name = name;
  a.kind = "python:3";
  a.code = "ok";
  a.memory_mb = 128;
  a.revision = 1;
  return a;
}

net::ActivationRecord invoke(LocalDispatcher& d, const net::ActionRecord& a, const std::string& params) {
  std::promise<net::ActivationRecord> p;
  auto f = p.get_future();
  d.dispatch(net::InvocationRequest{a, params, "id", 0}, [&p](net::ActivationRecord r) { p.set_value(std::move(r)); });
  return f.get();
}

LocalDispatcherConfig release_config(const char* keepalive = "snapshot-and-release:idle=100ms") {
  LocalDispatcherConfig c = one_invoker(1024, 2);
  c.keepalive = keepalive;
  return c;
}

TEST(SnapshotReleaseDispatch, AReleasedContainerFreesItsMemoryAndTheNextColdStartRestores) {
  SnapshotFactory factory(2'000'000);  // 2 s > 831 ms: worth a snapshot
  LocalDispatcher d(factory, release_config());
  const auto first = invoke(d, action("f"), R"({"n":1})");
  EXPECT_EQ(first.start_kind, "cold");
  ASSERT_TRUE(eventually([&] { return d.stats().releases == 1; }));
  EXPECT_EQ(d.idle_per_invoker(), std::vector<int>{0});
  EXPECT_EQ(d.state(0).used_mb, 0);
  EXPECT_EQ(d.state(0).idle_mb, 0);
  EXPECT_EQ(d.state(0).releases, 1);
  EXPECT_EQ(d.state(0).snapshot_bytes, 7 << 20);
  {
    std::lock_guard lock(factory.mu);
    ASSERT_EQ(factory.snapshots.size(), 1u);
    EXPECT_EQ(factory.snapshots[0].second, R"({"n":1})") << "the snapshot records with the last run's parameters";
  }
  const auto second = invoke(d, action("f"), R"({"n":2})");
  EXPECT_EQ(second.start_kind, "snapshot");
  EXPECT_EQ(second.result_json, R"({"n":2})");
  EXPECT_EQ(second.init_us, 900'000);
  EXPECT_EQ(factory.created.load(), 1);
  EXPECT_EQ(d.stats().snapshot, 1u);
  EXPECT_EQ(d.stats().cold, 1u);
  const std::string m = d.prometheus_metrics();
  EXPECT_NE(m.find("hearth_snapshot_releases_total{invoker=\"invoker0\"} 1"), std::string::npos) << m;
  EXPECT_NE(m.find("hearth_snapshot_bytes 7340032"), std::string::npos) << m;
}

TEST(SnapshotReleaseDispatch, AFunctionWhoseColdStartIsCheaperThanARestoreStaysIdle) {
  SnapshotFactory factory(100'000);  // 100 ms < 831 ms: kept ttl (10 min)
  LocalDispatcher d(factory, release_config());
  invoke(d, action("f"), "{}");
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // 4x the idle time, 20 reaper ticks
  EXPECT_EQ(d.idle_per_invoker(), std::vector<int>{1});
  EXPECT_EQ(d.state(0).idle_mb, 128);
  EXPECT_EQ(d.stats().releases, 0u);
  EXPECT_TRUE(factory.snapshots.empty());
  EXPECT_EQ(invoke(d, action("f"), "{}").start_kind, "warm");
}

TEST(SnapshotReleaseDispatch, ARestoreThatFailsFallsBackToAColdStart) {
  SnapshotFactory factory(2'000'000);
  factory.fail_restores = true;
  LocalDispatcher d(factory, release_config());
  invoke(d, action("f"), "{}");
  ASSERT_TRUE(eventually([&] { return d.stats().releases == 1; }));
  const auto again = invoke(d, action("f"), "{}");
  EXPECT_EQ(again.start_kind, "cold");
  EXPECT_EQ(again.status, "success");
  EXPECT_EQ(again.init_us, 2'900'000) << "the failed restore's time counts in the start-up";
  EXPECT_EQ(factory.created.load(), 2);
}

TEST(SnapshotReleaseDispatch, WithoutSnapshotsThePolicyIsRefused) {
  FakeFactory plain;  // keeps no snapshots
  try {
    LocalDispatcher d(plain, release_config("snapshot-and-release"));
    FAIL() << "a dispatcher without snapshots accepted snapshot-and-release";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--snapshots vanilla, reap or faasnap"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hearth::invoker
