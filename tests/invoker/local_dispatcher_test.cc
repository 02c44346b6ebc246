#include "invoker/local_dispatcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "tests/invoker/fake_factory.h"

namespace hearth::invoker {
namespace {

net::ActionRecord action(const std::string& name, std::int64_t memory = 256, const std::string& code = "ok") {
  net::ActionRecord a;
  a.ns = "guest";
  a.name = name;
  a.kind = "python:3";
  a.code = code;
  a.memory_mb = memory;
  return a;
}

net::ActivationRecord invoke(LocalDispatcher& d, const net::ActionRecord& a, const std::string& params = "{}") {
  std::promise<net::ActivationRecord> p;
  auto f = p.get_future();
  d.dispatch(net::InvocationRequest{a, params, "id", 0}, [&p](net::ActivationRecord r) { p.set_value(std::move(r)); });
  return f.get();
}

LocalDispatcherConfig config(int invokers, const char* keepalive = "ttl:10m", std::int64_t memory = 1024) {
  LocalDispatcherConfig c;
  c.invokers = invokers;
  c.invoker_memory_mb = memory;
  c.concurrency = 2;
  c.keepalive = keepalive;
  c.reap_interval_ms = 20;
  return c;
}

TEST(LocalDispatcher, ColdThenWarmOnTheSameInvoker) {
  FakeFactory factory;
  LocalDispatcher d(factory, config(3));
  const auto first = invoke(d, action("hello"), R"({"n":1})");
  EXPECT_EQ(first.start_kind, "cold");
  EXPECT_EQ(first.status, "success");
  EXPECT_EQ(first.result_json, R"({"n":1})");
  EXPECT_EQ(first.init_us, 5);
  const auto second = invoke(d, action("hello"));
  EXPECT_EQ(second.start_kind, "warm");
  EXPECT_EQ(second.invoker, first.invoker);  // OpenWhisk's sticky home invoker
  EXPECT_EQ(second.container, first.container);
  EXPECT_EQ(factory.created.load(), 1);
  const auto s = d.stats();
  EXPECT_EQ(s.cold, 1u);
  EXPECT_EQ(s.warm, 1u);
}

TEST(LocalDispatcher, InitFailureIsADeveloperError) {
  FakeFactory factory;
  LocalDispatcher d(factory, config(1));
  const auto r = invoke(d, action("broken", 256, "bad"));
  EXPECT_EQ(r.status, "developer error");
  EXPECT_NE(r.result_json.find("SyntaxError"), std::string::npos);
  EXPECT_EQ(d.idle_per_invoker(), std::vector<int>{0});
}

TEST(LocalDispatcher, BrokenContainersAreReplaced) {
  FakeFactory factory;
  LocalDispatcher d(factory, config(1));
  EXPECT_EQ(invoke(d, action("f"), R"({"crash":1})").status, "developer error");
  EXPECT_EQ(invoke(d, action("f")).start_kind, "cold");  // the crashed container was not reused
  EXPECT_EQ(factory.created.load(), 2);
}

TEST(LocalDispatcher, EvictsIdleContainersWhenMemoryIsShort) {
  FakeFactory factory;
  LocalDispatcher d(factory, config(1, "lru", 512));
  invoke(d, action("a", 256));
  invoke(d, action("b", 256));
  invoke(d, action("c", 256));  // evicts a (least recently used)
  EXPECT_EQ(d.stats().evictions, 1u);
  EXPECT_EQ(invoke(d, action("b", 256)).start_kind, "warm");
  EXPECT_EQ(invoke(d, action("a", 256)).start_kind, "cold");
}

TEST(LocalDispatcher, KeepAliveExpiryDestroysIdleContainers) {
  FakeFactory factory;
  LocalDispatcher d(factory, config(1, "ttl:50ms"));
  invoke(d, action("a"));
  for (int i = 0; i < 100 && d.idle_per_invoker()[0] > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(d.idle_per_invoker()[0], 0);
  EXPECT_EQ(d.stats().expirations, 1u);
  EXPECT_EQ(invoke(d, action("a")).start_kind, "cold");
}

TEST(LocalDispatcher, ConcurrentInvocationsAllComplete) {
  FakeFactory factory;
  LocalDispatcher d(factory, config(3));
  std::atomic<int> done{0};
  std::vector<std::promise<void>> all(200);
  std::vector<std::future<void>> finished;
  for (auto& p : all) finished.push_back(p.get_future());
  for (int i = 0; i < 200; ++i) {
    d.dispatch(net::InvocationRequest{action("f" + std::to_string(i % 7)), "{}", "id", 0}, [&, i](net::ActivationRecord r) {
      if (r.status == "success") ++done;
      all[i].set_value();
    });
  }
  for (auto& f : finished) f.wait();
  EXPECT_EQ(done.load(), 200);
  EXPECT_EQ(d.stats().invocations, 200u);
  EXPECT_EQ(d.stats().completed, 200u);
  const std::string metrics = d.prometheus_metrics();
  EXPECT_NE(metrics.find("hearth_invocations_total 200"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("hearth_invocation_latency_seconds_count 200"), std::string::npos);
  EXPECT_NE(metrics.find("hearth_containers{invoker=\"invoker0\",state=\"idle\"}"), std::string::npos);
}

TEST(LocalDispatcher, StemCellsGivePrewarmStarts) {
  FakeFactory factory;
  auto c = config(1);
  c.prewarm = "openwhisk:runtimes=python,initial=2,memory=256,interval=10s";
  LocalDispatcher d(factory, c);
  for (int i = 0; i < 200 && factory.generic.load() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (int i = 0; i < 100 && d.stats().stem_cells_started < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(d.stats().stem_cells_started, 2u);
  const auto first = invoke(d, action("p", 128));  // a python function needing <= 256 MB
  EXPECT_EQ(first.start_kind, "prewarm");
  EXPECT_EQ(first.init_us, 2);
  EXPECT_EQ(invoke(d, action("p", 128)).start_kind, "warm");
  EXPECT_EQ(invoke(d, action("big", 512)).start_kind, "cold");  // too big for the stem cell
  EXPECT_EQ(invoke(d, action("bad", 128, "bad")).status, "developer error");  // specialisation fails
  EXPECT_EQ(factory.created.load(), 1);
  EXPECT_NE(d.prometheus_metrics().find("hearth_starts_total{kind=\"prewarm\"} 2"), std::string::npos);
}

// OpenWhisk 2020's static stem cells live: one python 256 MB stem cell; a 128 MB function does not match
// (memory must be equal) and starts cold; a 256 MB one takes the stem cell, which is replaced at once (the
// interval is an hour: only the replacement on use can start it).
TEST(LocalDispatcher, StaticStemCellsMatchExactMemoryAndAreReplacedAtOnce) {
  FakeFactory factory;
  auto c = config(1, "ttl:10m", 4096);
  c.prewarm = "openwhisk-static:runtimes=python,memory=256,count=1,interval=1h";
  LocalDispatcher d(factory, c);
  for (int i = 0; i < 200 && d.stats().stem_cells_started < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(d.stats().stem_cells_started, 1u);
  EXPECT_EQ(invoke(d, action("small", 128)).start_kind, "cold");
  EXPECT_EQ(invoke(d, action("exact", 256)).start_kind, "prewarm");
  for (int i = 0; i < 200 && d.stats().stem_cells_started < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(d.stats().stem_cells_started, 2u);
  EXPECT_EQ(invoke(d, action("other", 256)).start_kind, "prewarm");  // the replacement
}

TEST(LocalDispatcher, AnUpdatedActionNeverRunsOnAContainerOfTheOldCode) {
  FakeFactory factory;
  LocalDispatcher d(factory, config(1));
  auto a = action("f");
  a.revision = 1;
  invoke(d, a);
  EXPECT_EQ(invoke(d, a).start_kind, "warm");
  a.revision = 2;
  const auto updated = invoke(d, a);
  EXPECT_EQ(updated.start_kind, "cold");
  EXPECT_EQ(factory.created.load(), 2);
  EXPECT_EQ(d.idle_per_invoker(), std::vector<int>{1});  // the old container is gone, its memory freed
  EXPECT_EQ(d.state(0).used_mb, 256);
  EXPECT_EQ(invoke(d, a).start_kind, "warm");
}

// The state report lists idle containers in the order make_room evicts them (LRU under ttl), which is
// what Sophon's MC rule prices on the controller.
TEST(LocalDispatcher, TheReportedEvictionOrderIsTheOneMakeRoomFollows) {
  FakeFactory factory;
  LocalDispatcher d(factory, config(1));  // 1024 MB
  for (const char* f : {"f", "g", "h", "f"}) invoke(d, action(f));
  const auto names = [&] {
    std::vector<std::string> out;
    for (const net::EvictableContainer& c : d.state(0).evictable) {
      EXPECT_EQ(c.memory_mb, c.action == "guest/big" ? 512 : 256);
      EXPECT_GE(c.idle_ms, 0);
      out.push_back(c.action);
    }
    return out;
  };
  EXPECT_EQ(names(), (std::vector<std::string>{"guest/g", "guest/h", "guest/f"}));
  EXPECT_EQ(invoke(d, action("big", 512)).start_kind, "cold");  // 256 MB free, needs 512: evicts g
  EXPECT_EQ(d.stats().evictions, 1u);
  EXPECT_EQ(names(), (std::vector<std::string>{"guest/h", "guest/f", "guest/big"}));
}

// dispatch_if_warm runs an invocation only on an idle container it takes out of the pool at once: one
// claimed by an earlier invocation (even one still queued) or one of older code does not count.
TEST(LocalDispatcher, DispatchIfWarmRunsOnlyOnAnIdleContainerItClaims) {
  FakeFactory factory;
  LocalDispatcher d(factory, config(1));
  net::ActionRecord a = action("f");
  a.revision = 1;
  const auto cold = invoke(d, a);
  ASSERT_EQ(cold.start_kind, "cold");
  std::promise<net::ActivationRecord> held;
  auto held_result = held.get_future();
  ASSERT_TRUE(d.dispatch_if_warm(net::InvocationRequest{a, R"({"hold":1})", "held", 0},
                                 [&held](net::ActivationRecord r) { held.set_value(std::move(r)); }));
  std::atomic<int> refused_done{0};
  EXPECT_FALSE(d.dispatch_if_warm(net::InvocationRequest{a, "{}", "refused", 0}, [&](net::ActivationRecord) { ++refused_done; }));
  EXPECT_TRUE(d.state(0).idle.empty());
  factory.gate.open();
  const auto r = held_result.get();
  EXPECT_EQ(r.start_kind, "warm");
  EXPECT_EQ(r.container, cold.container);
  ASSERT_EQ(d.state(0).idle.at("guest/f"), 1);  // back in the pool before its result was delivered
  net::ActionRecord updated = a;
  updated.revision = 2;  // the idle container runs revision 1: never again, so no warm start, and it goes
  EXPECT_FALSE(d.dispatch_if_warm(net::InvocationRequest{updated, "{}", "new-code", 0}, [&](net::ActivationRecord) { ++refused_done; }));
  EXPECT_TRUE(d.state(0).idle.empty());
  EXPECT_EQ(factory.destroyed.load(), 1);
  d.stop();
  EXPECT_EQ(refused_done.load(), 0);
  EXPECT_EQ(d.stats().invocations, 2u);  // refused invocations never arrived here
  EXPECT_EQ(factory.created.load(), 1);
}

// freshen (docs/freshen.md): only an idle container of this revision gets the hook; it goes back to the
// pool as it was, and nothing counts as an invocation.
TEST(LocalDispatcher, FreshenStartsTheHookInAnIdleContainerAndPutsItBack) {
  FakeFactory factory;
  LocalDispatcher d(factory, config(1));
  net::ActionRecord a = action("f");
  a.revision = 1;
  EXPECT_FALSE(d.freshen(a, 1000));  // never invoked: no container, and none is started for a hook
  const auto cold = invoke(d, a);
  ASSERT_EQ(cold.start_kind, "cold");
  EXPECT_TRUE(d.freshen(a, 1000));
  EXPECT_EQ(factory.freshened.load(), 1);
  EXPECT_EQ(d.state(0).idle.at("guest/f"), 1);  // back in the pool
  net::ActionRecord updated = a;
  updated.revision = 2;
  EXPECT_FALSE(d.freshen(updated, 1000));  // its idle container runs other code
  EXPECT_EQ(factory.freshened.load(), 1);
  const auto warm = invoke(d, a);
  EXPECT_EQ(warm.start_kind, "warm");
  EXPECT_EQ(warm.container, cold.container);
  const auto s = d.stats();
  EXPECT_EQ(s.invocations, 2u);
  EXPECT_EQ(s.freshen_requested, 1u);
  EXPECT_EQ(s.freshen_started, 1u);
  EXPECT_EQ(factory.created.load(), 1);
}

TEST(LocalDispatcher, BadPolicyNamesFailAtConstruction) {
  FakeFactory factory;
  auto c = config(1);
  c.placement = "nope";
  EXPECT_THROW(LocalDispatcher(factory, c), std::invalid_argument);
}

// A new action reaches the policies through on_function_added; they are not rebuilt, so what the
// keep-alive policy learned of the others stays (issue 11, item 3). The hybrid histogram keeps a container
// for the whole range (4 h) until it has min_samples idle times, then for the tail window (bin 0's upper
// edge + 10 %: 66 s): A's expiry shows whether its histogram survived the creation of B.
TEST(LocalDispatcher, CreatingAnotherActionKeepsWhatKeepAliveLearned) {
  FakeFactory factory;
  LocalDispatcher d(factory, config(1, "hybrid-histogram:min_samples=3"));
  const auto keep_us = [&] {
    const auto e = d.idle_expiries(0, "guest/a");
    EXPECT_EQ(e.size(), 1u);
    return e.empty() ? -1 : e[0] - d.now();
  };
  invoke(d, action("a"));
  EXPECT_GT(keep_us(), model::kMicrosPerHour);  // nothing learned yet: the whole range
  for (int i = 0; i < 3; ++i) invoke(d, action("a"));  // 3 idle times of well under a minute
  EXPECT_LE(keep_us(), 66 * model::kMicrosPerSecond);
  EXPECT_EQ(invoke(d, action("b")).start_kind, "cold");  // a new function
  EXPECT_EQ(invoke(d, action("a")).start_kind, "warm");
  EXPECT_LE(keep_us(), 66 * model::kMicrosPerSecond);  // rebuilt policies answered the whole range again
  EXPECT_GT(d.idle_expiries(0, "guest/b").at(0) - d.now(), model::kMicrosPerHour);  // b: nothing learned
}

}  // namespace
}  // namespace hearth::invoker
