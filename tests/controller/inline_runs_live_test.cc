// Warm runs on the invoker's wire reader (InvokerAgentConfig::inline_runs, docs/warm-path.md), with the
// controller (RemoteDispatcher) and one InvokerAgent over the real wire on 127.0.0.1 and real
// (unsandboxed) Python runtimes: a warm invocation runs on the thread that read it, and a slow one does
// not hold up the next invocation — its frame hands the connection to another thread. The probe first
// runs without the hand-off (kUnwatched), where the fast invocation does wait for the slow one: what the
// watch prevents.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "controller/remote_dispatcher.h"
#include "invoker/invoker_agent.h"
#include "tests/controller/real_agent.h"
#include "tests/invoker/fake_factory.h"
#include "tests/trace/temp_dir.h"

namespace hearth::controller {
namespace {

using Inline = invoker::InvokerAgentConfig::InlineRuns;

const std::string kToken(64, 'w');

constexpr const char* kSleeper = R"(import time
def main(a):
    time.sleep(a.get('sleep', 0))
    return {'slept': a.get('sleep', 0)}
)";

net::ActionRecord sleeper(const std::string& name) {
  net::ActionRecord a = testing::python_action(name, kSleeper, 128);
  a.timeout_ms = 30'000;
  return a;
}

std::future<net::ActivationRecord> start(RemoteDispatcher& d, const std::string& name, double sleep_s) {
  auto p = std::make_shared<std::promise<net::ActivationRecord>>();
  auto f = p->get_future();
  d.dispatch(net::InvocationRequest{sleeper(name), nlohmann::json{{"sleep", sleep_s}}.dump(), "id-" + name, 0},
             [p](net::ActivationRecord r) { p->set_value(std::move(r)); });
  return f;
}

struct Outcome {
  bool slow_done_before_fast = false;
  net::ActivationRecord fast, slow;
  std::uint64_t inline_runs = 0;
  std::size_t hand_offs = 0;
};

// Warms "slow" and "fast", starts a warm 3-s "slow" and, once the invoker runs it, a warm "fast".
Outcome slow_then_fast(Inline mode) {
  hearth::testing::TempDir dir;
  RemoteDispatcher d(RemoteDispatcherConfig{.token = kToken});
  testing::RealAgent a(d.port(), "inv", kToken, dir.str() + "/code", [mode](invoker::InvokerAgentConfig& c) {
    c.pool.concurrency = 4;
    c.inline_runs = mode;
  });
  EXPECT_EQ(d.wait_for_invokers(1, 5000), 1);
  EXPECT_EQ(start(d, "slow", 0).get().start_kind, "cold");
  EXPECT_EQ(start(d, "fast", 0).get().start_kind, "cold");
  const std::uint64_t before = a.agent->inline_runs();
  auto slow = start(d, "slow", 3);
  if (mode != Inline::kOff)  // the slow run is on the reading thread before the fast one is sent
    EXPECT_TRUE(invoker::eventually([&] { return a.agent->inline_runs() == before + 1; }));
  else
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto fast = start(d, "fast", 0);
  Outcome o;
  o.fast = fast.get();
  o.slow_done_before_fast = slow.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  o.slow = slow.get();
  o.inline_runs = a.agent->inline_runs() - before;
  o.hand_offs = a.agent->reader_hand_offs();
  return o;
}

TEST(InlineRunsLive, WithoutTheHandOffASlowInlineRunHoldsUpTheNextInvocation) {
  const Outcome o = slow_then_fast(Inline::kUnwatched);  // the probe: what the watch prevents
  EXPECT_EQ(o.fast.status, "success") << o.fast.result_json;
  EXPECT_TRUE(o.slow_done_before_fast) << "the reader ran the slow function and read nothing meanwhile";
  EXPECT_EQ(o.inline_runs, 2u);
}

TEST(InlineRunsLive, ASlowWarmRunDoesNotHoldUpTheNextInvocation) {
  const Outcome o = slow_then_fast(Inline::kWatched);
  EXPECT_EQ(o.fast.status, "success") << o.fast.result_json;
  EXPECT_EQ(o.slow.status, "success") << o.slow.result_json;
  EXPECT_EQ(o.fast.start_kind, "warm");
  EXPECT_EQ(o.slow.start_kind, "warm");
  EXPECT_FALSE(o.slow_done_before_fast) << "the fast invocation waited for the slow one";
  EXPECT_EQ(o.inline_runs, 2u) << "both ran on a reading thread, no worker";
  EXPECT_GE(o.hand_offs, 1u) << "the fast invocation's frame handed the connection to another thread";
}

TEST(InlineRunsLive, OffRunsEveryInvocationOnAWorker) {
  const Outcome o = slow_then_fast(Inline::kOff);
  EXPECT_EQ(o.fast.status, "success") << o.fast.result_json;
  EXPECT_FALSE(o.slow_done_before_fast);
  EXPECT_EQ(o.inline_runs, 0u);
  EXPECT_EQ(o.hand_offs, 0u);
}

// A burst of warm invocations arriving while others run (multiplex_runs, the default): begun on the
// reading thread and waited for together (invoker/run_multiplexer.h) — they still run at the same time,
// each answered with its own result. Off: the same burst goes to worker threads (no split run).
struct Burst {
  std::uint64_t split_runs = 0;
  std::chrono::milliseconds took{};
  std::vector<net::ActivationRecord> records;
};

Burst burst(bool multiplex) {
  hearth::testing::TempDir dir;
  RemoteDispatcher d(RemoteDispatcherConfig{.token = kToken});
  testing::RealAgent a(d.port(), "inv", kToken, dir.str() + "/code", [multiplex](invoker::InvokerAgentConfig& c) {
    c.pool.concurrency = 6;
    c.multiplex_runs = multiplex;
  });
  EXPECT_EQ(d.wait_for_invokers(1, 5000), 1);
  constexpr int n = 5;
  for (int i = 0; i < n; ++i) EXPECT_EQ(start(d, "f" + std::to_string(i), 0).get().start_kind, "cold");
  const std::uint64_t before = a.agent->split_runs();
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::future<net::ActivationRecord>> running;
  for (int i = 0; i < n; ++i) running.push_back(start(d, "f" + std::to_string(i), 0.4));
  Burst b;
  for (auto& f : running) b.records.push_back(f.get());
  b.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  b.split_runs = a.agent->split_runs() - before;
  return b;
}

TEST(InlineRunsLive, ABurstOfWarmInvocationsIsWaitedForTogetherOnTheReadingThread) {
  const Burst off = burst(false);  // the probe: no split runs without it
  EXPECT_EQ(off.split_runs, 0u);
  const Burst on = burst(true);
  EXPECT_GE(on.split_runs, 1u) << "invocations arriving while one ran were not multiplexed";
  for (const Burst* b : {&off, &on}) {
    ASSERT_EQ(b->records.size(), 5u);
    for (std::size_t i = 0; i < b->records.size(); ++i) {
      EXPECT_EQ(b->records[i].status, "success") << b->records[i].result_json;
      EXPECT_EQ(b->records[i].start_kind, "warm");
      EXPECT_EQ(b->records[i].action, "f" + std::to_string(i));
      EXPECT_EQ(nlohmann::json::parse(b->records[i].result_json)["slept"], 0.4);
    }
    EXPECT_LT(b->took, std::chrono::milliseconds(1500)) << "the runs did not overlap (5 × 0.4 s = 2 s in a row)";
  }
}

}  // namespace
}  // namespace hearth::controller
