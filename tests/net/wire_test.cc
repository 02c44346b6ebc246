#include "net/wire.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

namespace hearth::net::wire {
namespace {

struct SocketPair {
  int fd[2];
  SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0); }
  ~SocketPair() {
    for (int f : fd)
      if (f >= 0) close(f);
  }
};

TEST(Wire, FramesRoundTripInOrder) {
  SocketPair s;
  const std::string big(1 << 20, 'x');  // larger than a socket buffer: the reader must loop
  std::thread writer([&] {
    EXPECT_TRUE(send_frame(s.fd[0], "hello"));
    EXPECT_TRUE(send_frame(s.fd[0], ""));
    EXPECT_TRUE(send_frame(s.fd[0], big));
  });
  std::string_view payload;
  std::string error;
  net::FrameReader reader(kMaxFrameBytes);
  ASSERT_TRUE(recv_frame(s.fd[1], reader, &payload, &error)) << error;
  EXPECT_EQ(payload, "hello");
  ASSERT_TRUE(recv_frame(s.fd[1], reader, &payload, &error)) << error;
  EXPECT_EQ(payload, "");
  ASSERT_TRUE(recv_frame(s.fd[1], reader, &payload, &error)) << error;
  EXPECT_EQ(payload, big);
  writer.join();
  close(s.fd[0]);
  s.fd[0] = -1;
  EXPECT_FALSE(recv_frame(s.fd[1], reader, &payload, &error));
  EXPECT_EQ(error, "connection closed by peer");
}

TEST(Wire, OversizedAndTruncatedFramesAreErrors) {
  SocketPair s;
  const unsigned char huge[4] = {0xff, 0xff, 0xff, 0xff};
  ASSERT_EQ(write(s.fd[0], huge, 4), 4);
  std::string_view payload;
  std::string error;
  net::FrameReader reader(kMaxFrameBytes);
  EXPECT_FALSE(recv_frame(s.fd[1], reader, &payload, &error));
  EXPECT_NE(error.find("exceeds"), std::string::npos) << error;
  SocketPair t;
  const unsigned char ten[4] = {10, 0, 0, 0};
  ASSERT_EQ(write(t.fd[0], ten, 4), 4);
  ASSERT_EQ(write(t.fd[0], "abc", 3), 3);
  close(t.fd[0]);
  t.fd[0] = -1;
  net::FrameReader fresh(kMaxFrameBytes);
  EXPECT_FALSE(recv_frame(t.fd[1], fresh, &payload, &error));
  EXPECT_EQ(error, "connection closed in the middle of a frame");
}

TEST(Wire, RecordsRoundTripThroughJson) {
  ActivationRecord a;
  a.id = "abc";
  a.ns = "guest";
  a.action = "f";
  a.start_us = 1;
  a.end_us = 2;
  a.wait_us = 3;
  a.init_us = 4;
  a.run_us = 5;
  a.start_kind = "prewarm";
  a.invoker = "invoker1";
  a.container = "c7";
  a.status = "success";
  a.result_json = R"({"x":1})";
  a.logs = {"one", "two"};
  EXPECT_FALSE(to_json(a).contains("freshen"));  // absent unless the function used freshen
  a.freshen_json = R"({"hits":1})";
  const ActivationRecord b = activation_from_json(nlohmann::json::parse(to_json(a).dump()));
  EXPECT_EQ(to_json(b), to_json(a));
  EXPECT_EQ(b.freshen_json, a.freshen_json);

  ActionRecord f;
  f.ns = "guest";
  f.name = "f";
  f.kind = "nodejs:20";
  f.code = "function main() {}";
  f.version = 3;
  f.revision = 17;
  EXPECT_EQ(action_from_json(to_json(f, true)).code, f.code);
  EXPECT_EQ(action_from_json(to_json(f, false)).code, "");
  EXPECT_EQ(action_from_json(to_json(f, false)).version, 3);
  EXPECT_EQ(action_from_json(to_json(f, false)).revision, 17);

  InvokerState s;
  s.memory_mb = 2048;
  s.used_mb = 512;
  s.busy_mb = 128;
  s.busy = 1;
  s.prewarmed = 2;
  s.idle = {{"guest/f", 2}};
  s.evictable = {{"guest/f", 256, 1500}, {"guest/g", 128, 20}};
  EXPECT_EQ(state_from_json(to_json(s)).evictable, s.evictable);
  EXPECT_EQ(to_json(state_from_json(to_json(s))), to_json(s));
  nlohmann::json old = to_json(s);  // an invoker that does not report eviction order
  old.erase("evictable");
  EXPECT_TRUE(state_from_json(old).evictable.empty());
  EXPECT_EQ(state_from_json(to_json(s)).busy_mb, 128);
  old.erase("busy_mb");  // an invoker that does not report busy memory: all it holds counts as busy
  EXPECT_EQ(state_from_json(old).busy_mb, 512);
  s.idle_mb = 256;  // snapshot-and-release's figures travel, and an older invoker's report has none
  s.snapshot_bytes = 7 << 20;
  s.releases = 3;
  const InvokerState back = state_from_json(to_json(s));
  EXPECT_EQ(back.idle_mb, 256);
  EXPECT_EQ(back.snapshot_bytes, 7 << 20);
  EXPECT_EQ(back.releases, 3);
  old.erase("idle_mb"), old.erase("snapshot_bytes"), old.erase("releases");
  EXPECT_EQ(state_from_json(old).idle_mb, 0);
  EXPECT_EQ(state_from_json(old).releases, 0);
  EXPECT_THROW(state_from_json(nlohmann::json::parse(R"({"memory_mb": 1})")), std::exception);
}

TEST(Wire, InvokeCarriesTheWarmExpectationOnlyWhenSet) {
  InvocationRequest r;
  r.action.ns = "guest";
  r.action.name = "f";
  r.action.kind = "python:3";
  r.action.code = "def main(a): return a";
  r.action.revision = 4;
  r.params_json = R"({"x":1})";
  r.activation_id = "act-1";
  r.arrival_us = 42;
  const InvokeMessage warm = invoke_from_json(nlohmann::json::parse(invoke_to_json(7, r, true, true).dump()));
  EXPECT_EQ(warm.seq, 7u);
  EXPECT_TRUE(warm.expect_warm);
  EXPECT_TRUE(warm.with_code);
  EXPECT_EQ(to_json(warm.request.action, true), to_json(r.action, true));
  EXPECT_EQ(warm.request.params_json, r.params_json);
  EXPECT_EQ(warm.request.activation_id, "act-1");
  EXPECT_EQ(warm.request.arrival_us, 42);
  // Without the expectation the message is exactly the older one: older invokers see nothing new.
  const nlohmann::json plain = invoke_to_json(8, r, false, false);
  EXPECT_FALSE(plain.contains("expect_warm"));
  const InvokeMessage m = invoke_from_json(plain);
  EXPECT_FALSE(m.expect_warm);
  EXPECT_FALSE(m.with_code);
  EXPECT_EQ(m.request.action.code, "");
  EXPECT_EQ(m.request.action.revision, 4);
}

TEST(Wire, AnInvokeFromAnOlderControllerParsesAsNotExpectingWarm) {
  nlohmann::json old = nlohmann::json::parse(R"({"type":"invoke","seq":3,"params":"{}","activation_id":"a1",
    "arrival_us":5,"action":{"ns":"guest","name":"f","kind":"nodejs:20","entry":"main","memory_mb":256,
    "timeout_ms":60000,"version":1,"updated_us":0,"revision":1,"code":"x"}})");
  const InvokeMessage m = invoke_from_json(old);
  EXPECT_EQ(m.seq, 3u);
  EXPECT_FALSE(m.expect_warm);
  EXPECT_TRUE(m.with_code);
  old["expect_warm"] = "yes";  // present but not a boolean: an error, not a silent false
  EXPECT_THROW(invoke_from_json(old), std::exception);
  old.erase("expect_warm");
  // Without a revision the invoker could not tell a re-created action's code from the old one's: such a
  // controller (from before revisions) is refused, not served stale code.
  nlohmann::json no_revision = old;
  no_revision["action"].erase("revision");
  EXPECT_THROW(invoke_from_json(no_revision), std::exception);
  old.erase("seq");
  EXPECT_THROW(invoke_from_json(old), std::exception);
}

// An action's CPU limit crosses the wire with its invocation; without one the message is exactly the older
// one, and an older controller's (no cpu_millicores) parses as no limit.
TEST(Wire, InvokeCarriesTheActionsCpuLimit) {
  InvocationRequest r;
  r.action.ns = "guest";
  r.action.name = "f";
  r.action.kind = "python:3";
  r.action.revision = 2;
  r.action.cpu_millicores = 750;
  r.params_json = "{}";
  r.activation_id = "act-2";
  const InvokeMessage m = invoke_from_json(nlohmann::json::parse(invoke_to_json(1, r, false, false).dump()));
  EXPECT_EQ(m.request.action.cpu_millicores, 750);
  EXPECT_EQ(to_json(m.request.action, false), to_json(r.action, false));
  r.action.cpu_millicores = 0;
  nlohmann::json none = invoke_to_json(2, r, false, false);
  EXPECT_FALSE(none["action"].contains("cpu_millicores"));
  EXPECT_EQ(invoke_from_json(none).request.action.cpu_millicores, 0);
  none["action"]["cpu_millicores"] = "half";  // present but not an integer: an error
  EXPECT_THROW(invoke_from_json(none), std::exception);
}

TEST(Wire, HostPortParsing) {
  std::string host;
  std::uint16_t port = 0;
  split_host_port("127.0.0.1:4000", &host, &port);
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 4000);
  split_host_port("http://ctl.example:80", &host, &port);
  EXPECT_EQ(host, "ctl.example");
  for (const char* bad : {"nohost", ":80", "h:", "h:0", "h:99999", "h:8x"})
    EXPECT_THROW(split_host_port(bad, &host, &port), std::invalid_argument) << bad;
}

TEST(Wire, ListenAndConnectOnLoopback) {
  std::uint16_t port = 0;
  const int listener = listen_tcp("127.0.0.1", 0, &port);
  ASSERT_GT(port, 0);
  const int client = connect_tcp("127.0.0.1", port);
  const int server = accept(listener, nullptr, nullptr);
  ASSERT_GE(server, 0);
  ASSERT_TRUE(send_frame(client, "ping"));
  std::string_view payload;
  std::string error;
  net::FrameReader reader(kMaxFrameBytes);
  ASSERT_TRUE(recv_frame(server, reader, &payload, &error));
  EXPECT_EQ(payload, "ping");
  for (int fd : {client, server, listener}) close(fd);
  EXPECT_THROW(listen_tcp("not-an-ip", 0, &port), std::runtime_error);
  EXPECT_THROW(connect_tcp("127.0.0.1", port), std::runtime_error);  // nobody listens there now
}

}  // namespace
}  // namespace hearth::net::wire
