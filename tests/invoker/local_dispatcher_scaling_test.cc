// LocalDispatcher's scaling path with fake (one-worker) containers: the policies by name, containers
// started in the background for buffered work, a failed start answering what waited for it, and the
// policy's tick retiring idle containers. Real multi-worker containers: tests/live/hyperfaas_live_test.cc.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "invoker/local_dispatcher.h"
#include "tests/invoker/fake_factory.h"

namespace hearth::invoker {
namespace {

net::ActionRecord action(const std::string& code = "ok") {
  net::ActionRecord a;
  a.ns = "guest";
  a.name = "f";
  a.kind = "python:3";
  a.code = code;
  a.memory_mb = 256;
  return a;
}

LocalDispatcherConfig scaled(const std::string& scaling) {
  LocalDispatcherConfig c;
  c.invokers = 2;
  c.concurrency = 4;
  c.keepalive = "ttl:10m";
  c.reap_interval_ms = 10;
  c.scaling = scaling;
  return c;
}

std::future<net::ActivationRecord> start(LocalDispatcher& d, const net::ActionRecord& a, const std::string& params) {
  auto p = std::make_shared<std::promise<net::ActivationRecord>>();
  auto f = p->get_future();
  d.dispatch(net::InvocationRequest{a, params, "id", 0}, [p](net::ActivationRecord r) { p->set_value(std::move(r)); });
  return f;
}

TEST(LocalDispatcherScaling, OneWorkerContainersScaleOutForABurst) {
  FakeFactory factory;
  LocalDispatcher d(factory, scaled("hyperfaas:slots=1,max_slots=4,tick=10ms,window=20ms"));
  // (Declared after the dispatcher so that it opens the gate before the dispatcher drains its threads.)
  // Three invocations held busy at once: fake containers have one worker, so phase 1 cannot raise
  // slots and phase 3 starts containers in the background until each has one.
  struct OpenOnExit {  // a failed assertion must not leave held invocations blocking the destructor
    Gate& g;
    ~OpenOnExit() { g.open(); }
  } guard{factory.gate};
  std::vector<std::future<net::ActivationRecord>> held;
  for (int i = 0; i < 3; ++i) held.push_back(start(d, action(), R"({"hold":1})"));
  ASSERT_TRUE(eventually([&] { return factory.created.load() >= 3; }));
  factory.gate.open();
  for (auto& f : held) EXPECT_EQ(f.get().status, "success");
  const DispatcherStats s = d.stats();
  EXPECT_EQ(s.completed, 3u);
  EXPECT_GE(s.scaled_containers, 3u);
  EXPECT_EQ(s.workers_added, 0u);
  // Idle now: the policy's ticks reclaim all but one container (HyperFaaS leaves the last to keep-alive).
  ASSERT_TRUE(eventually([&] { return factory.destroyed.load() >= factory.created.load() - 1; }))
      << factory.destroyed.load() << " of " << factory.created.load() << " destroyed";
  EXPECT_GE(d.stats().retired, 2u);
  EXPECT_EQ(start(d, action(), "{}").get().start_kind, "warm");  // the one left serves the next
}

// Under a scaling policy the per-worker CPU quota is the action's limit (limits.cpu) when it has one, else
// the config's cpu_millicores_per_worker: a one-worker container gets one worker's worth.
TEST(LocalDispatcherScaling, TheActionsCpuLimitIsThePerWorkerQuota) {
  for (const std::int64_t limit : {std::int64_t{0}, std::int64_t{300}}) {
    FakeFactory factory;
    LocalDispatcher d(factory, scaled("hyperfaas:slots=1,max_slots=4,tick=10ms,window=20ms"));
    net::ActionRecord a = action();
    a.cpu_millicores = limit;
    EXPECT_EQ(start(d, a, "{}").get().status, "success");
    EXPECT_EQ(factory.quota.load(), limit > 0 ? limit : 1000);
  }
}

TEST(LocalDispatcherScaling, TheLastContainerExpiresByTheKeepAlivePolicy) {
  FakeFactory factory;
  LocalDispatcherConfig c = scaled("hyperfaas:tick=10ms");
  c.keepalive = "ttl:50ms";
  LocalDispatcher d(factory, c);
  EXPECT_EQ(start(d, action(), "{}").get().status, "success");
  ASSERT_TRUE(eventually([&] { return factory.destroyed.load() == 1; }));  // idle past 50 ms: gone
  EXPECT_EQ(start(d, action(), "{}").get().start_kind, "cold");
}

TEST(LocalDispatcherScaling, AFailedStartAnswersTheInvocationsWaitingForIt) {
  FakeFactory factory;
  LocalDispatcher d(factory, scaled("hyperfaas"));
  const net::ActivationRecord r = start(d, action("bad"), "{}").get();
  EXPECT_EQ(r.status, "developer error");
  EXPECT_NE(r.result_json.find("SyntaxError"), std::string::npos) << r.result_json;
  EXPECT_EQ(start(d, action(), "{}").get().status, "success");  // the function recovers with good code
}

TEST(LocalDispatcherScaling, KnativeRunsByNameAndUnknownPoliciesAreRejected) {
  FakeFactory factory;
  LocalDispatcher d(factory, scaled("knative:target=1,tick=10ms"));
  const net::ActivationRecord first = start(d, action(), "{}").get();
  EXPECT_EQ(first.status, "success");
  EXPECT_EQ(first.start_kind, "cold");  // scale from zero
  EXPECT_EQ(start(d, action(), "{}").get().start_kind, "warm");
  EXPECT_THROW(LocalDispatcher(factory, scaled("kpa")), std::invalid_argument);
}

}  // namespace
}  // namespace hearth::invoker
