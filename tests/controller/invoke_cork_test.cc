// Invokes corked per event-loop pass (RemoteDispatcher, net/end_of_pass.h): against a hand-driven invoker
// on the real wire, invokes dispatched from a loop thread reach the invoker only when the pass ends, all in
// one write, and each still ends once; dispatched from any other thread (the probe), each goes out at once.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "controller/remote_dispatcher.h"
#include "net/end_of_pass.h"
#include "net/wire.h"
#include "net/wire_binary.h"
#include "tests/controller/raw_invoker.h"

namespace hearth::controller {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

std::uint64_t metric(RemoteDispatcher& d, const std::string& name) {
  const std::string text = d.prometheus_metrics();
  const auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? ~0ull : std::stoull(text.substr(at + name.size() + 2));
}

bool readable_within(int fd, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(wait.count())) == 1;
}

// Reads the next invoke (JSON or binary) and answers it with a successful result; its seq (0: none came).
std::uint64_t answer_next(int fd, bool* binary) {
  std::string payload, error;
  if (!testing::recv_frame(fd, &payload, &error, net::FrameClock::now() + 5s)) return 0;
  *binary = net::wire::is_binary_frame(payload);
  const std::uint64_t seq = *binary ? net::wire::decode_invoke(payload).seq
                                    : net::wire::invoke_from_json(json::parse(payload)).seq;
  net::ActivationRecord rec;
  rec.status = "success";
  rec.result_json = R"({"ok":true})";
  net::wire::send_frame(fd, json{{"type", "result"}, {"seq", seq}, {"activation", net::wire::to_json(rec)}}.dump());
  return seq;
}

RemoteDispatcherConfig cork_config() {
  RemoteDispatcherConfig c;
  c.token = testing::kToken;
  return c;
}

// A raw invoker that reads binary invokes, welcomed by `d`; its socket.
int binary_invoker(RemoteDispatcher& d) {
  std::string answer;
  const int fd = testing::raw_invoker(d.port(), "raw", testing::kToken, &answer,
                                      net::InvokerState{1024, 0, 0, 0, 0, {}, {}}, json{{"binary_frames", 1}});
  EXPECT_NE(answer.find("welcome"), std::string::npos) << answer;
  return fd;
}

TEST(InvokeCork, InvokesSentInOneLoopPassLeaveTogetherWhenItEnds) {
  RemoteDispatcher d(cork_config());
  const int fd = binary_invoker(d);
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  std::atomic<int> ended{0};
  const auto request = [](int i) { return net::InvocationRequest{testing::wire_action("f"), "{}", "a" + std::to_string(i), 0}; };
  const auto done = [&ended](net::ActivationRecord r) {
    if (r.status == "success") ++ended;
  };
  bool binary = false;
  d.dispatch(request(0), done);  // the first carries the code (JSON): never corked
  ASSERT_NE(answer_next(fd, &binary), 0u);
  EXPECT_FALSE(binary);

  std::vector<std::function<void()>> end_of_pass;
  bool written_during_pass = true;
  std::thread loop([&] {
    const net::EndOfPass::Install install([&](std::function<void()> fn) { end_of_pass.push_back(std::move(fn)); });
    for (int i = 1; i <= 3; ++i) d.dispatch(request(i), done);
    written_during_pass = readable_within(fd, 100ms);
    for (std::size_t k = 0; k < end_of_pass.size(); ++k) end_of_pass[k]();  // the pass ends
  });
  loop.join();
  EXPECT_FALSE(written_during_pass);
  EXPECT_EQ(end_of_pass.size(), 1u);  // one flush for the pass
  EXPECT_EQ(metric(d, "hearth_wire_invokes_corked_total"), 3u);
  EXPECT_EQ(metric(d, "hearth_wire_cork_writes_total"), 1u);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_NE(answer_next(fd, &binary), 0u) << i;
    EXPECT_TRUE(binary);
  }

  // The probe: from a thread without a loop the invoke is written at once.
  d.dispatch(request(4), done);
  EXPECT_TRUE(readable_within(fd, 2000ms));
  ASSERT_NE(answer_next(fd, &binary), 0u);
  EXPECT_EQ(metric(d, "hearth_wire_invokes_corked_total"), 3u);
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (ended.load() < 5 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(ended.load(), 5);  // each ended once
  d.stop();
  close(fd);
}

// A connection that fails before the pass ends: the corked invocations end (as a failed send), once each.
TEST(InvokeCork, CorkedInvokesOfAConnectionThatClosesEndOnce) {
  RemoteDispatcher d(cork_config());
  const int fd = binary_invoker(d);
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  std::atomic<int> failed{0}, calls{0};
  const auto done = [&](net::ActivationRecord r) {
    ++calls;
    if (r.status != "success") ++failed;
  };
  bool binary = false;
  d.dispatch(net::InvocationRequest{testing::wire_action("f"), "{}", "a0", 0}, done);
  ASSERT_NE(answer_next(fd, &binary), 0u);
  std::vector<std::function<void()>> end_of_pass;
  std::thread loop([&] {
    const net::EndOfPass::Install install([&](std::function<void()> fn) { end_of_pass.push_back(std::move(fn)); });
    for (int i = 1; i <= 2; ++i) d.dispatch(net::InvocationRequest{testing::wire_action("f"), "{}", "b" + std::to_string(i), 0}, done);
    ::shutdown(fd, SHUT_RDWR);  // the invoker goes away before the pass ends
    std::this_thread::sleep_for(200ms);
    for (std::size_t k = 0; k < end_of_pass.size(); ++k) end_of_pass[k]();
  });
  loop.join();
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (calls.load() < 3 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(failed.load(), 2);
  d.stop();
  close(fd);
}

}  // namespace
}  // namespace hearth::controller
