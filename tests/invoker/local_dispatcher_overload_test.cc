// LocalDispatcher under overload (issue 11, item 11): an invocation waiting for memory takes the first
// container of its own function that frees instead of evicting it and cold-starting a new one, and a
// steady overload of one function cold-starts at most the containers the invoker's memory holds.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "invoker/local_dispatcher.h"
#include "tests/invoker/fake_factory.h"

namespace hearth::invoker {
namespace {

net::ActionRecord noop(const std::string& name) {
  net::ActionRecord a;
  a.ns = "guest";
  a.name = name;
  a.kind = "native";
  a.code = "ok";
  a.memory_mb = 256;
  return a;
}

// 512 MB hold two 256 MB containers: two held invocations fill it; a third waits for memory. When the
// gate opens, the first container that frees is the waiting invocation's, warm: two containers ever
// created, nothing evicted. (Before the fix the waiter evicted the freed container and started a third.)
TEST(LocalDispatcherOverload, AWaitingInvocationTakesTheContainerOfItsFunctionThatFrees) {
  FakeFactory factory;
  LocalDispatcher d(factory, one_invoker(512, 3));
  std::vector<std::promise<net::ActivationRecord>> results(3);
  const char* params[] = {R"({"hold":1})", R"({"hold":2})", "{}"};
  for (int i = 0; i < 2; ++i)
    d.dispatch(net::InvocationRequest{noop("f"), params[i], "id" + std::to_string(i), 0},
               [&results, i](net::ActivationRecord r) { results[i].set_value(std::move(r)); });
  ASSERT_TRUE(eventually([&] { return factory.created.load() == 2; }));
  d.dispatch(net::InvocationRequest{noop("f"), params[2], "id2", 0},
             [&results](net::ActivationRecord r) { results[2].set_value(std::move(r)); });
  // busy counts the invocation once it executes; it executes with the lock held until it waits.
  ASSERT_TRUE(eventually([&] { return d.state(0).busy == 3; }));
  EXPECT_EQ(d.state(0).used_mb, 512);
  factory.gate.open();
  const net::ActivationRecord waited = results[2].get_future().get();
  const net::ActivationRecord first = results[0].get_future().get();
  const net::ActivationRecord second = results[1].get_future().get();
  EXPECT_EQ(waited.status, "success");
  EXPECT_EQ(waited.start_kind, "warm");
  EXPECT_TRUE(waited.container == first.container || waited.container == second.container) << waited.container;
  EXPECT_EQ(factory.created.load(), 2);
  const DispatcherStats s = d.stats();
  EXPECT_EQ(s.cold, 2u);
  EXPECT_EQ(s.warm, 1u);
  EXPECT_EQ(s.evictions, 0u);
}

// A steady overload of one function: 8 workers, room for 4 containers. Eight held invocations fill it
// (four run, four wait for memory), 400 more queue behind them, then the gate opens. Cold starts stay at
// most 4 (the pool's size), none is evicted, and every invocation ends, successfully.
TEST(LocalDispatcherOverload, ColdStartsUnderASteadyOverloadStayWithinThePoolSize) {
  FakeFactory factory;
  LocalDispatcher d(factory, one_invoker(1024, 8));
  constexpr int kHeld = 8, kInvocations = 408;
  std::atomic<int> succeeded{0}, ended{0};
  std::promise<void> all_ended;
  const auto done = [&](net::ActivationRecord r) {
    if (r.status == "success") ++succeeded;
    if (++ended == kInvocations) all_ended.set_value();
  };
  for (int i = 0; i < kHeld; ++i) d.dispatch(net::InvocationRequest{noop("f"), R"({"hold":1})", "held", 0}, done);
  ASSERT_TRUE(eventually([&] { return d.state(0).busy == kHeld; }));
  EXPECT_EQ(factory.created.load(), 4);
  for (int i = kHeld; i < kInvocations; ++i) d.dispatch(net::InvocationRequest{noop("f"), "{}", "queued", 0}, done);
  factory.gate.open();
  ASSERT_EQ(all_ended.get_future().wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(succeeded.load(), kInvocations);
  EXPECT_EQ(factory.created.load(), 4);
  const DispatcherStats s = d.stats();
  EXPECT_EQ(s.evictions, 0u);
  EXPECT_EQ(s.cold, 4u);
  EXPECT_EQ(s.warm, static_cast<std::uint64_t>(kInvocations - 4));
  EXPECT_EQ(s.completed, static_cast<std::uint64_t>(kInvocations));
}

// dispatch_if_warm with every worker busy claims nothing: the idle container of `f` stays in the pool
// while the invocation queues (so no invocation waiting for memory can wait on it for ever), and the
// invocation still runs there, warm, on that container once a worker is free. With a free worker it
// claims the container at once.
TEST(LocalDispatcherOverload, DispatchIfWarmClaimsNothingWhileEveryWorkerIsBusy) {
  FakeFactory factory;
  LocalDispatcher d(factory, one_invoker(1024, 1));
  std::promise<net::ActivationRecord> warmed;
  d.dispatch(net::InvocationRequest{noop("f"), "{}", "f0", 0}, [&](net::ActivationRecord r) { warmed.set_value(std::move(r)); });
  const net::ActivationRecord cold = warmed.get_future().get();
  ASSERT_EQ(cold.start_kind, "cold");
  std::promise<net::ActivationRecord> busy;
  d.dispatch(net::InvocationRequest{noop("g"), R"({"hold":1})", "g0", 0}, [&](net::ActivationRecord r) { busy.set_value(std::move(r)); });
  ASSERT_TRUE(eventually([&] { return d.state(0).busy == 1; }));
  std::promise<net::ActivationRecord> queued;
  EXPECT_TRUE(d.dispatch_if_warm(net::InvocationRequest{noop("f"), "{}", "f1", 0},
                                 [&](net::ActivationRecord r) { queued.set_value(std::move(r)); }));
  EXPECT_EQ(d.state(0).idle.size(), 1u);  // f's container is still idle in the pool: not claimed
  factory.gate.open();
  EXPECT_EQ(busy.get_future().get().status, "success");
  const net::ActivationRecord ran = queued.get_future().get();
  EXPECT_EQ(ran.start_kind, "warm");
  EXPECT_EQ(ran.container, cold.container);
  // A worker is free now: the same call claims the idle container at once.
  ASSERT_TRUE(eventually([&] { return d.state(0).busy == 0; }));
  std::promise<net::ActivationRecord> claimed;
  ASSERT_TRUE(d.dispatch_if_warm(net::InvocationRequest{noop("f"), "{}", "f2", 0},
                                 [&](net::ActivationRecord r) { claimed.set_value(std::move(r)); }));
  EXPECT_EQ(claimed.get_future().get().start_kind, "warm");
  EXPECT_EQ(factory.created.load(), 2);  // f's one container and g's
}

}  // namespace
}  // namespace hearth::invoker
