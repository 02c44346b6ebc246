// The wire's authentication (live/wire_auth.h) against a real controller on 127.0.0.1: each protection's
// probe is first shown to succeed where it is allowed (the right token, the invoker's own activation, a
// large frame after the handshake), then refused where it is not.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "invoker/invoker_agent.h"
#include "controller/remote_dispatcher.h"
#include "net/wire.h"
#include "net/wire_auth.h"
#include "tests/invoker/fake_factory.h"
#include "tests/controller/raw_invoker.h"

namespace hearth::controller {
namespace {

using nlohmann::json;
using testing::kToken;
using testing::raw_invoker;

RemoteDispatcherConfig config() {
  RemoteDispatcherConfig c;
  c.token = kToken;
  c.heartbeat_timeout_ms = 60'000;  // raw invokers send no heartbeats
  return c;
}

net::ActionRecord action(const std::string& ns, const std::string& name) {
  net::ActionRecord a;
  a.ns = ns;
  a.name = name;
  a.kind = "python:3";
  a.code = "SECRET-CODE-OF-" + ns;
  a.version = 1;
  return a;
}

std::future<net::ActivationRecord> start(RemoteDispatcher& d, const net::ActionRecord& a, const std::string& id) {
  auto p = std::make_shared<std::promise<net::ActivationRecord>>();
  auto f = p->get_future();
  d.dispatch(net::InvocationRequest{a, R"({"secret":"param"})", id, 0}, [p](net::ActivationRecord r) { p->set_value(std::move(r)); });
  return f;
}

std::string metric(RemoteDispatcher& d, const std::string& name) {
  const std::string m = d.prometheus_metrics();
  const auto at = m.find("\n" + name + " ");
  return at == std::string::npos ? "absent" : m.substr(at + name.size() + 2, m.find('\n', at + 1) - at - name.size() - 2);
}

// Reads frames until one arrives or the peer closes; "" when closed (or nothing within 300 ms).
std::string next_frame(int fd, int timeout_ms = 300) {
  std::string payload, error;
  return testing::recv_frame(fd, &payload, &error, net::FrameClock::now() + std::chrono::milliseconds(timeout_ms))
             ? payload
             : "";
}

json result_frame(std::uint64_t seq, const net::ActivationRecord& rec) {
  return {{"type", "result"}, {"seq", seq}, {"activation", net::wire::to_json(rec)},
          {"state", net::wire::to_json(net::InvokerState{1024, 0, 0, 0, 0, {}, {}})}};
}

TEST(WireAuth, TheRightTokenIsWelcomedAndReceivesCodeAndParameters) {
  RemoteDispatcher d(config());
  std::string answer;
  const int fd = raw_invoker(d.port(), "raw", kToken, &answer);
  ASSERT_EQ(json::parse(answer).at("type"), "welcome") << answer;
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  auto running = start(d, action("guest", "f"), "id-1");
  const std::string invoke = next_frame(fd, 5000);
  EXPECT_NE(invoke.find("SECRET-CODE-OF-guest"), std::string::npos) << invoke;
  EXPECT_NE(invoke.find("param"), std::string::npos) << invoke;
  close(fd);
  EXPECT_EQ(running.get().status, "whisk internal error");  // it went away without answering
}

TEST(WireAuth, NoTokenOrAWrongTokenIsRefusedAndReceivesNothing) {
  RemoteDispatcher d(config());
  for (const std::string& token : {std::string(), std::string(64, 'x')}) {
    std::string answer;
    const int fd = raw_invoker(d.port(), "raw", token, &answer);
    const json refused = json::parse(answer);
    EXPECT_EQ(refused.at("type"), "refused") << answer;
    EXPECT_EQ(next_frame(fd), "");  // then closed
    close(fd);
  }
  EXPECT_EQ(d.wait_for_invokers(1, 200), 0);
  for (int i = 0; i < 200 && metric(d, "hearth_wire_auth_failures_total") != "2"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto r = start(d, action("guest", "f"), "id-1").get();
  EXPECT_EQ(r.status, "whisk internal error");
  EXPECT_NE(r.result_json.find("No invoker"), std::string::npos) << r.result_json;
  EXPECT_EQ(metric(d, "hearth_wire_auth_failures_total"), "2");
  // The real agent with the wrong token fails to start, saying why.
  invoker::FakeFactory factory;
  invoker::InvokerAgentConfig c;
  c.controller = "127.0.0.1:" + std::to_string(d.port());
  c.token = std::string(64, 'x');
  try {
    invoker::InvokerAgent agent(factory, c);
    ADD_FAILURE() << "an invoker with the wrong token joined";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("refused"), std::string::npos) << e.what();
  }
  c.token = "short";
  EXPECT_THROW({ invoker::InvokerAgent short_token(factory, c); }, std::invalid_argument);
}

// A live invoker "a"; an impostor claiming its name without the token is refused and a keeps serving.
TEST(WireAuth, AnImpostorCannotTakeALiveInvokersName) {
  RemoteDispatcher d(config());
  invoker::FakeFactory factory;
  invoker::InvokerAgentConfig c;
  c.controller = "127.0.0.1:" + std::to_string(d.port());
  c.name = "a";
  c.token = kToken;
  c.pool.invoker_memory_mb = 1024;
  invoker::InvokerAgent agent(factory, c);
  std::thread serving([&] { agent.serve(); });
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  std::string answer;
  const int fd = raw_invoker(d.port(), "a", std::string(64, 'x'), &answer);
  EXPECT_EQ(json::parse(answer).at("type"), "refused");
  const auto r = start(d, action("guest", "f"), "id-1").get();
  EXPECT_EQ(r.status, "success") << r.result_json;
  EXPECT_EQ(r.invoker, "a");
  EXPECT_EQ(next_frame(fd), "");  // the impostor got nothing
  close(fd);
  agent.stop();
  serving.join();
}

// A fake controller that answers the hello with a welcome it cannot prove: the invoker will not serve it.
TEST(WireAuth, TheInvokerRefusesAControllerWithoutTheToken) {
  std::uint16_t port = 0;
  const int listener = net::wire::listen_tcp("127.0.0.1", 0, &port);
  std::thread fake([&] {
    const int fd = accept(listener, nullptr, nullptr);
    testing::reader_of(fd, true);
    net::wire::send_frame(fd, json{{"type", "challenge"}, {"nonce", net::wire::new_nonce()}}.dump());
    std::string payload, error;
    testing::recv_frame(fd, &payload, &error);
    net::wire::send_frame(fd, json{{"type", "welcome"}, {"proof", std::string(64, '0')}}.dump());
    testing::recv_frame(fd, &payload, &error);  // until the invoker hangs up
    close(fd);
  });
  invoker::FakeFactory factory;
  try {
    invoker::InvokerAgentConfig c;
    c.controller = "127.0.0.1:" + std::to_string(port);
    c.token = kToken;
    invoker::InvokerAgent agent(factory, c);
    ADD_FAILURE() << "the invoker accepted an unproven controller";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("did not prove"), std::string::npos) << e.what();
  }
  fake.join();
  close(listener);
}

// Two authenticated invokers. r's result for its own activation ends it — under the controller's id,
// namespace and action, whatever r's record claims; q's result for r's activation, and r's for an
// activation never sent, are dropped and counted.
TEST(WireAuth, AResultEndsOnlyAnActivationSentToThatInvokerAndKeepsTheControllersRecord) {
  RemoteDispatcher d(config());
  std::string answer;
  const int r = raw_invoker(d.port(), "r", kToken, &answer);
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  auto mine = start(d, action("guest", "f"), "id-guest-1");
  const json invoke = json::parse(next_frame(r, 5000));
  const std::uint64_t seq = invoke.at("seq").get<std::uint64_t>();
  const int q = raw_invoker(d.port(), "q", kToken, &answer);
  ASSERT_EQ(d.wait_for_invokers(2, 5000), 2);

  net::ActivationRecord forged;
  forged.id = "id-of-another-namespace";
  forged.ns = "other";
  forged.action = "victim";
  forged.invoker = "someone-else";
  forged.status = "success";
  forged.result_json = R"({"forged":true})";
  forged.logs = {};
  ASSERT_TRUE(net::wire::send_frame(q, result_frame(seq, forged).dump()));        // not q's activation
  ASSERT_TRUE(net::wire::send_frame(r, result_frame(seq + 1000, forged).dump()));  // never sent
  for (int i = 0; i < 200 && metric(d, "hearth_wire_rejected_results_total") != "2"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(metric(d, "hearth_wire_rejected_results_total"), "2");
  EXPECT_EQ(mine.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);  // still r's to end

  ASSERT_TRUE(net::wire::send_frame(r, result_frame(seq, forged).dump()));  // r's own: accepted
  const net::ActivationRecord rec = mine.get();
  EXPECT_EQ(rec.status, "success");
  EXPECT_EQ(rec.result_json, R"({"forged":true})");
  EXPECT_EQ(rec.id, "id-guest-1");
  EXPECT_EQ(rec.ns, "guest");
  EXPECT_EQ(rec.action, "f");
  EXPECT_EQ(rec.invoker, "r");
  ASSERT_TRUE(net::wire::send_frame(r, result_frame(seq, forged).dump()));  // again: it has ended
  for (int i = 0; i < 200 && metric(d, "hearth_wire_rejected_results_total") != "3"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(metric(d, "hearth_wire_rejected_results_total"), "3");
  close(q);
  close(r);
}

// Before the handshake a frame header announcing more than 4 KiB ends the connection at once (nothing is
// allocated for it); after it, a larger frame (a heartbeat with many idle actions) is read normally.
TEST(WireAuth, FramesBeforeAuthenticationAreBoundedTo4KiB) {
  RemoteDispatcher d(config());
  net::InvokerState big{1024, 0, 0, 0, 0, {}, {}};
  for (int i = 0; i < 400; ++i) big.idle["guest/a-rather-long-action-name-" + std::to_string(i)] = 1;
  const std::string heartbeat = json{{"type", "heartbeat"}, {"state", net::wire::to_json(big)}}.dump();
  ASSERT_GT(heartbeat.size(), 4096u);
  std::string answer;
  const int ok = raw_invoker(d.port(), "ok", kToken, &answer);
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  ASSERT_TRUE(net::wire::send_frame(ok, heartbeat));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(d.wait_for_invokers(1, 0), 1);  // accepted
  EXPECT_EQ(d.invokers().at(0).idle, 400);

  const int fd = testing::connect_wire(d.port());
  ASSERT_NE(next_frame(fd, 5000).find("challenge"), std::string::npos);
  const auto t0 = std::chrono::steady_clock::now();
  const unsigned char header[4] = {0x01, 0x10, 0, 0};  // 4097 bytes announced
  ASSERT_EQ(::send(fd, header, 4, MSG_NOSIGNAL), 4);
  EXPECT_EQ(next_frame(fd, 1000), "");  // closed, not waiting for the 4097 bytes
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
  close(fd);
  for (int i = 0; i < 200 && metric(d, "hearth_wire_auth_failures_total") != "1"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(metric(d, "hearth_wire_auth_failures_total"), "1");
  close(ok);
}

// A connection that never completes the handshake is closed at its deadline.
TEST(WireAuth, ASilentConnectionIsClosedAtTheHandshakeDeadline) {
  RemoteDispatcherConfig c = config();
  c.handshake_timeout_ms = 200;
  RemoteDispatcher d(c);
  const int fd = testing::connect_wire(d.port());
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_NE(next_frame(fd, 5000).find("challenge"), std::string::npos);
  const unsigned char partial[2] = {0x10, 0x00};  // half a header, then silence
  ASSERT_EQ(::send(fd, partial, 2, MSG_NOSIGNAL), 2);
  EXPECT_EQ(next_frame(fd, 3000), "");
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, std::chrono::milliseconds(190));
  EXPECT_LT(waited, std::chrono::milliseconds(1500));
  close(fd);
  for (int i = 0; i < 200 && metric(d, "hearth_wire_auth_failures_total") != "1"; ++i)  // counted as its reader ends
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(metric(d, "hearth_wire_auth_failures_total"), "1");
}

TEST(WireAuth, ProofsBindTokenNoncesAndName) {
  const std::string p = net::wire::invoker_proof(kToken, "nc", "ni", "a");
  EXPECT_EQ(p.size(), 64u);
  EXPECT_EQ(p, net::wire::invoker_proof(kToken, "nc", "ni", "a"));
  EXPECT_NE(p, net::wire::invoker_proof(std::string(64, 'x'), "nc", "ni", "a"));
  EXPECT_NE(p, net::wire::invoker_proof(kToken, "nc2", "ni", "a"));
  EXPECT_NE(p, net::wire::invoker_proof(kToken, "nc", "ni2", "a"));
  EXPECT_NE(p, net::wire::invoker_proof(kToken, "nc", "ni", "b"));
  EXPECT_NE(p, net::wire::controller_proof(kToken, "nc", "ni", "a"));  // an answer is not a reflection
  EXPECT_NE(net::wire::new_nonce(), net::wire::new_nonce());
  EXPECT_EQ(net::wire::new_token().size(), 64u);
}

}  // namespace
}  // namespace hearth::controller
