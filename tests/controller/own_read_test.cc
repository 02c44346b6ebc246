// A blocking invoke reads its own result on the sending thread (RemoteDispatcher::read_own,
// controller/read_role.h) when the connection's reader thread is parked: against a hand-driven invoker
// on the real wire. Each case first shows it happens (where the completion ran, the own-read counters),
// then that every invocation ends exactly once and nothing deadlocks when the wire closes.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "controller/remote_dispatcher.h"
#include "invoker/dispatcher.h"
#include "net/wire.h"
#include "tests/controller/raw_invoker.h"

namespace hearth::controller {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

RemoteDispatcherConfig config(std::int64_t own_read_us) {
  RemoteDispatcherConfig c;
  c.token = testing::kToken;
  c.own_read_us = own_read_us;
  return c;
}

std::uint64_t metric(RemoteDispatcher& d, const std::string& name) {
  const std::string text = d.prometheus_metrics();
  const auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? ~0ull : std::stoull(text.substr(at + name.size() + 2));
}

// One invocation's end: how often, on which thread, with what.
struct Ending {
  std::mutex mu;
  int calls = 0;
  std::thread::id thread;
  net::ActivationRecord rec;
  std::promise<void> done;
  std::function<void(net::ActivationRecord)> callback() {
    return [this](net::ActivationRecord r) {
      std::lock_guard lock(mu);
      if (++calls == 1) {
        thread = std::this_thread::get_id();
        rec = std::move(r);
        done.set_value();
      }
    };
  }
  bool wait() { return done.get_future().wait_for(5s) == std::future_status::ready; }
};

// Dispatches `id` on this thread; `waits`: as the API's blocking invoke does (WaitsForResult).
void dispatch(RemoteDispatcher& d, const std::string& id, Ending& e, bool waits) {
  std::optional<invoker::WaitsForResult> hint;
  if (waits) hint.emplace();
  d.dispatch(net::InvocationRequest{testing::wire_action("f"), "{}", id, 0}, e.callback());
}

json result_frame(std::uint64_t seq, const std::string& id) {
  net::ActivationRecord rec;
  rec.id = id;
  rec.status = "success";
  rec.result_json = R"({"ok":true})";
  return {{"type", "result"}, {"seq", seq}, {"activation", net::wire::to_json(rec)}};
}

// A raw invoker, connected and welcomed, with its reader thread given time to park.
struct Raw {
  explicit Raw(RemoteDispatcher& d) {
    std::string answer;
    fd = testing::raw_invoker(d.port(), "raw", testing::kToken, &answer);
    EXPECT_NE(answer.find("welcome"), std::string::npos) << answer;
    EXPECT_EQ(d.wait_for_invokers(1, 5000), 1);
    std::this_thread::sleep_for(50ms);  // the reader thread parks once nothing is in flight
  }
  ~Raw() { close(fd); }
  std::uint64_t next_invoke() {
    std::string payload, error;
    if (!testing::recv_frame(fd, &payload, &error, net::FrameClock::now() + 5s)) return 0;
    return net::wire::invoke_from_json(json::parse(payload)).seq;
  }
  int fd = -1;
};

class OwnRead : public ::testing::TestWithParam<bool> {};  // with the hint (the case) / without (the probe)

TEST_P(OwnRead, ABlockingInvokeReadsItsOwnResultOnTheSendingThread) {
  const bool waits = GetParam();
  RemoteDispatcher d(config(2'000'000));
  Raw raw(d);
  std::thread answerer([&] {
    const std::uint64_t seq = raw.next_invoke();
    ASSERT_NE(seq, 0u);
    std::this_thread::sleep_for(20ms);  // the sender is reading by now
    net::wire::send_frame(raw.fd, result_frame(seq, "x").dump());
  });
  Ending e;
  dispatch(d, "a1", e, waits);
  ASSERT_TRUE(e.wait());
  answerer.join();
  EXPECT_EQ(e.rec.status, "success");
  EXPECT_EQ(e.rec.id, "a1");  // the controller's id, not the invoker's
  if (waits) {
    EXPECT_EQ(e.thread, std::this_thread::get_id());  // read and ended here: no reader-thread hand-off
    EXPECT_EQ(metric(d, "hearth_wire_own_reads_total"), 1u);
  } else {  // the probe: the reader thread, woken by the send, ends it
    EXPECT_NE(e.thread, std::this_thread::get_id());
    EXPECT_EQ(metric(d, "hearth_wire_own_reads_total"), 0u);
  }
  EXPECT_EQ(metric(d, "hearth_wire_own_reads_handed_back_total"), 0u);
  EXPECT_EQ(e.calls, 1);
}

INSTANTIATE_TEST_SUITE_P(Hint, OwnRead, ::testing::Bool());

TEST(OwnReadCases, AnotherResultReadMeanwhileEndsOnceOnTheReadingThread) {
  RemoteDispatcher d(config(2'000'000));
  Raw raw(d);
  Ending own, other;
  std::promise<void> own_sent;
  std::thread answerer([&] {
    const std::uint64_t first = raw.next_invoke();  // the own read's
    own_sent.set_value();
    const std::uint64_t second = raw.next_invoke();  // the other's, sent while the first is read for
    ASSERT_NE(first, 0u);
    ASSERT_NE(second, 0u);
    net::wire::send_frame(raw.fd, result_frame(second, "x").dump());  // answered first
    std::this_thread::sleep_for(20ms);
    net::wire::send_frame(raw.fd, result_frame(first, "y").dump());
    // A duplicate of each: never ends anything twice (dropped and counted).
    net::wire::send_frame(raw.fd, result_frame(first, "y").dump());
    net::wire::send_frame(raw.fd, result_frame(second, "x").dump());
  });
  std::thread sender([&] {
    own_sent.get_future().wait();
    const auto until = std::chrono::steady_clock::now() + 5s;  // until the first sender holds the role
    while (metric(d, "hearth_wire_own_reads_total") < 1 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(1ms);
    dispatch(d, "b2", other, /*waits=*/false);
  });
  dispatch(d, "b1", own, /*waits=*/true);
  const std::thread::id here = std::this_thread::get_id();
  ASSERT_TRUE(own.wait());
  ASSERT_TRUE(other.wait());
  sender.join();
  answerer.join();
  EXPECT_EQ(own.thread, here);
  EXPECT_EQ(other.thread, here);  // the case happened: the other's result came in while this thread read
  EXPECT_EQ(own.rec.id, "b1");
  EXPECT_EQ(other.rec.id, "b2");
  // The duplicates arrive after the own read ended: the reader thread drops them.
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (metric(d, "hearth_wire_rejected_results_total") < 2 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(5ms);
  EXPECT_EQ(metric(d, "hearth_wire_rejected_results_total"), 2u);
  EXPECT_EQ(own.calls, 1);
  EXPECT_EQ(other.calls, 1);
}

TEST(OwnReadCases, ASlowResultIsLeftToTheReaderThreadAndEndsOnce) {
  RemoteDispatcher d(config(30'000));  // 30 ms
  Raw raw(d);
  std::promise<std::uint64_t> seq;
  std::thread answerer([&] { seq.set_value(raw.next_invoke()); });
  Ending e;
  const auto t0 = std::chrono::steady_clock::now();
  dispatch(d, "c1", e, /*waits=*/true);
  const auto held = std::chrono::steady_clock::now() - t0;
  answerer.join();
  EXPECT_LT(held, 1s);  // the sending thread gave up at its bound
  EXPECT_EQ(e.calls, 0);
  EXPECT_EQ(metric(d, "hearth_wire_own_reads_handed_back_total"), 1u);
  net::wire::send_frame(raw.fd, result_frame(seq.get_future().get(), "x").dump());
  ASSERT_TRUE(e.wait());
  EXPECT_NE(e.thread, std::this_thread::get_id());  // the reader thread ended it
  EXPECT_EQ(e.rec.status, "success");
  EXPECT_EQ(e.calls, 1);
  // Nothing in flight again: the thread parks and the next blocking invoke reads its own.
  std::this_thread::sleep_for(50ms);
  std::thread answer2([&] {
    const std::uint64_t s = raw.next_invoke();
    net::wire::send_frame(raw.fd, result_frame(s, "x").dump());
  });
  Ending e2;
  dispatch(d, "c2", e2, /*waits=*/true);
  ASSERT_TRUE(e2.wait());
  answer2.join();
  EXPECT_EQ(e2.thread, std::this_thread::get_id());
  EXPECT_EQ(metric(d, "hearth_wire_own_reads_total"), 2u);
}

TEST(OwnReadCases, TheWireClosingWhileTheSenderReadsEndsItOnceWithoutADeadlock) {
  RemoteDispatcher d(config(5'000'000));  // a long bound: only the close can end the read
  Raw raw(d);
  std::thread closer([&] {
    ASSERT_NE(raw.next_invoke(), 0u);
    std::this_thread::sleep_for(20ms);
    ::shutdown(raw.fd, SHUT_RDWR);
  });
  Ending e;
  const auto t0 = std::chrono::steady_clock::now();
  dispatch(d, "d1", e, /*waits=*/true);
  closer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  ASSERT_TRUE(e.wait());
  EXPECT_EQ(e.rec.status, "whisk internal error");
  EXPECT_NE(e.rec.result_json.find("went away"), std::string::npos) << e.rec.result_json;
  EXPECT_EQ(metric(d, "hearth_wire_own_reads_total"), 1u);
  EXPECT_EQ(metric(d, "hearth_wire_own_reads_handed_back_total"), 1u);
  EXPECT_EQ(d.wait_for_invokers(1, 0), 0);  // the reader thread saw the failure and marked it down
  d.stop();  // joins the reader: it is not stuck
  EXPECT_EQ(e.calls, 1);
}

TEST(OwnReadCases, AParkedReaderStillReadsHeartbeats) {
  RemoteDispatcherConfig c = config(1'000'000);
  c.heartbeat_timeout_ms = 300;
  RemoteDispatcher d(c);
  Raw raw(d);
  const json heartbeat = {{"type", "heartbeat"}, {"state", net::wire::to_json(net::InvokerState{1024, 0, 0, 0, 0, {}, {}})}};
  for (int i = 0; i < 12; ++i) {  // 1.2 s, four heartbeat timeouts, nothing in flight
    ASSERT_TRUE(net::wire::send_frame(raw.fd, heartbeat.dump()));
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(d.wait_for_invokers(1, 0), 1);
  // Silent: declared down, as before (the probe that the heartbeats above were needed).
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(d.wait_for_invokers(1, 0), 0);
}

}  // namespace
}  // namespace hearth::controller
