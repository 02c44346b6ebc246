// The API over real sockets on 127.0.0.1: keep-alive, body limits, malformed HTTP, concurrency.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "controller/api.h"
#include "controller/store.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "tests/controller/echo_dispatcher.h"

namespace hearth::controller {
namespace {

using nlohmann::json;

struct ServerFixture : ::testing::Test {
  Store store{":memory:"};
  EchoDispatcher dispatcher;
  Api api{store, dispatcher};
  net::HttpServer server{api, net::HttpServerConfig{.address = "127.0.0.1", .port = 0, .io_threads = 2, .worker_threads = 4,
                                          .max_body_bytes = 4096}};
  std::string auth = net::basic_auth("uuid", "key");
  ServerFixture() {
    store.put_namespace("guest", "uuid", "key");
    net::ActionRecord a{"guest", "echo", "python:3", "def main(a): return a"};
    store.put_action(a, false);
  }
};

// A raw TCP connection to 127.0.0.1:port (-1 on failure), for bytes no HttpClient would send.
int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  ::close(fd);
  return -1;
}

TEST(BasicAuth, EncodesLikeCurl) {
  EXPECT_EQ(net::basic_auth("uuid", "key"), "Basic dXVpZDprZXk=");
  EXPECT_EQ(net::basic_auth("a", "b"), "Basic YTpi");
}

TEST_F(ServerFixture, ManyRequestsOverOneKeepAliveConnection) {
  net::HttpClient client("127.0.0.1", server.port());
  for (int i = 0; i < 50; ++i) {
    const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/echo?blocking=true&result=true", auth,
                                json{{"i", i}}.dump()});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["i"], i);
  }
  EXPECT_EQ(client.send({"GET", "/healthz", "", ""}).status, 200);
}

TEST_F(ServerFixture, OversizedBodyIs413AndServerKeepsServing) {
  net::HttpClient client("127.0.0.1", server.port());
  const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/echo?blocking=true", auth, std::string(10000, 'x')});
  EXPECT_EQ(r.status, 413);
  net::HttpClient again("127.0.0.1", server.port());
  EXPECT_EQ(again.send({"GET", "/api/v1/namespaces", auth, ""}).status, 200);
}

TEST_F(ServerFixture, GarbageOnTheSocketDoesNotHurtTheServer) {
  const int fd = connect_loopback(server.port());
  ASSERT_GE(fd, 0);
  const char garbage[] = "NOT HTTP AT ALL\r\n\r\n";
  ASSERT_GT(::write(fd, garbage, sizeof garbage - 1), 0);
  char buf[512];
  const ssize_t n = ::read(fd, buf, sizeof buf);  // a 400 or a close, never a hang
  EXPECT_GE(n, 0);
  ::close(fd);
  net::HttpClient client("127.0.0.1", server.port());
  EXPECT_EQ(client.send({"GET", "/healthz", "", ""}).status, 200);
}

TEST_F(ServerFixture, ConcurrentClientsLoseNothing) {
  constexpr int kClients = 8, kEach = 100;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      net::HttpClient client("127.0.0.1", server.port());
      for (int i = 0; i < kEach; ++i) {
        const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/echo?blocking=true&result=true", auth,
                                    json{{"c", c}, {"i", i}}.dump()});
        if (r.status == 200 && json::parse(r.body) == json{{"c", c}, {"i", i}}) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kEach);
  EXPECT_EQ(store.list_activations("guest", "echo", 10000, 0).size(), static_cast<std::size_t>(kClients * kEach));
}

// Completes each invocation `delay_ms` later on its own thread, as an invoker does.
class SlowDispatcher final : public invoker::Dispatcher {
 public:
  explicit SlowDispatcher(int delay_ms) : delay_ms_(delay_ms) {}
  std::atomic<int> calls{0};
  ~SlowDispatcher() override {
    for (auto& t : threads_) t.join();
  }
  void dispatch(net::InvocationRequest req, std::function<void(net::ActivationRecord)> done) override {
    std::lock_guard lock(mu_);
    ++calls;
    threads_.emplace_back([this, req = std::move(req), done = std::move(done)] {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
      done(echo_record(req));
    });
  }

 private:
  int delay_ms_;
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

// One I/O thread serving an action "echo" in namespace "guest" (uuid:key), completed `delay_ms` later on
// the dispatcher's own thread.
struct SlowEchoServer {
  explicit SlowEchoServer(int delay_ms) : dispatcher(delay_ms) {
    store.put_namespace("guest", "uuid", "key");
    net::ActionRecord echo{"guest", "echo", "python:3", "def main(a): return a"};
    store.put_action(echo, false);
  }
  Store store{":memory:"};
  SlowDispatcher dispatcher;
  Api api{store, dispatcher, ApiConfig{.blocking_wait_ms = 5000}};
  net::HttpServer server{api, net::HttpServerConfig{.io_threads = 1}};
};

TEST(HttpServerAsync, BlockingInvokesAreAnsweredFromTheCompletionThread) {
  SlowEchoServer echo(30);
  // More invokes in flight than I/O threads: none of them holds a thread while it waits.
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  const auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < 8; ++c)
    clients.emplace_back([&, c] {
      net::HttpClient client("127.0.0.1", echo.server.port());
      const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/echo?blocking=true&result=true",
                                  net::basic_auth("uuid", "key"), json{{"c", c}}.dump()});
      if (r.status == 200 && json::parse(r.body) == json{{"c", c}}) ++ok;
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));  // concurrent, not 8 × 30 ms serialised... nor hung
}

TEST(HttpServerAsync, AResponseBiggerThanTheSocketBufferIsFinishedOnTheStrand) {
  Store store{":memory:"};
  SlowDispatcher dispatcher(1);
  Api api{store, dispatcher, ApiConfig{.max_payload_bytes = 32 << 20}};
  net::HttpServer server{api, net::HttpServerConfig{}};
  store.put_namespace("guest", "uuid", "key");
  net::ActionRecord a{"guest", "echo", "python:3", "def main(a): return a"};
  store.put_action(a, false);
  net::HttpClient client("127.0.0.1", server.port());
  const std::string big(8 << 20, 'b');  // more than a loopback socket takes at once
  for (int i = 0; i < 2; ++i) {
    const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/echo?blocking=true&result=true",
                                net::basic_auth("uuid", "key"), json{{"s", big}}.dump()});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body)["s"].get<std::string>().size(), big.size());
  }
  EXPECT_EQ(client.send({"GET", "/healthz", "", ""}).status, 200);  // and the connection goes on
}

TEST(HttpServerAsync, AnInvokeOutlivingTheWaitGets202AndStopWaitsForInFlightInvokes) {
  Store store{":memory:"};
  SlowDispatcher dispatcher(300);
  Api api{store, dispatcher, ApiConfig{.blocking_wait_ms = 50}};
  auto server = std::make_unique<net::HttpServer>(api, net::HttpServerConfig{});
  store.put_namespace("guest", "uuid", "key");
  net::ActionRecord a{"guest", "echo", "python:3", "def main(a): return a"};
  store.put_action(a, false);
  net::HttpClient client("127.0.0.1", server->port());
  const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/echo?blocking=true", net::basic_auth("uuid", "key"), "{}"});
  EXPECT_EQ(r.status, 202);
  const std::string id = json::parse(r.body)["activationId"];
  EXPECT_EQ(client.send({"GET", "/healthz", "", ""}).status, 200);  // the connection still serves

  // An invoke in flight when the server stops is still answered; then stop() returns.
  Api patient{store, dispatcher, ApiConfig{.blocking_wait_ms = 5000}};
  net::HttpServer second{patient, net::HttpServerConfig{}};
  std::atomic<int> status{0};
  std::thread in_flight([&] {
    net::HttpClient c("127.0.0.1", second.port());
    status = c.send({"POST", "/api/v1/namespaces/_/actions/echo?blocking=true&result=true", net::basic_auth("uuid", "key"), "{}"}).status;
  });
  while (dispatcher.calls < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the invoke is in flight
  second.stop();
  in_flight.join();
  EXPECT_EQ(status.load(), 200);
  server.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the first invoke's late completion
  EXPECT_TRUE(store.get_activation("guest", id).has_value());
}

// A blocking echo invoke of {"i": i} as raw HTTP/1.1 bytes.
std::string echo_request(int i) {
  const std::string body = json{{"i", i}}.dump();
  return "POST /api/v1/namespaces/_/actions/echo?blocking=true&result=true HTTP/1.1\r\nHost: x\r\nAuthorization: " +
         net::basic_auth("uuid", "key") + "\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Reads up to `count` 200 responses of echo_request from `fd` (10 s at most, or until the peer closes): their i's.
std::vector<int> read_answers(int fd, std::size_t count) {
  std::string in;
  std::vector<int> answered;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (answered.size() < count && std::chrono::steady_clock::now() < until) {
    char buf[4096];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    in.append(buf, static_cast<std::size_t>(n));
    for (std::size_t end; (end = in.find("\r\n\r\n")) != std::string::npos;) {
      const std::size_t at = in.find("Content-Length: ");
      EXPECT_LT(at, end) << in;
      if (at >= end) return answered;
      const std::size_t length = std::stoul(in.substr(at + 16));
      if (in.size() < end + 4 + length) break;
      EXPECT_EQ(in.rfind("HTTP/1.1 200", 0), 0u) << in;
      answered.push_back(json::parse(in.substr(end + 4, length))["i"].get<int>());
      in.erase(0, end + 4 + length);
    }
  }
  return answered;
}

// Requests parsed from what is already buffered (the usual case: no asynchronous read) and requests that
// arrive in pieces (the parser's state carried into an asynchronous read) are answered alike and in order,
// also when a client pipelines: the next request, buffered when a completion thread writes the response,
// is handled on the connection's I/O thread after it.
TEST(HttpServerAsync, PipelinedAndPiecemealRequestsAreAnsweredInOrder) {
  SlowEchoServer echo(5);  // completes on its own thread, as an invoker does
  const int fd = connect_loopback(echo.server.port());
  ASSERT_GE(fd, 0);
  const std::string three = echo_request(0) + echo_request(1) + echo_request(2);  // pipelined: one write
  ASSERT_EQ(::write(fd, three.data(), three.size()), static_cast<ssize_t>(three.size()));
  const std::string fourth = echo_request(3);  // in three pieces: part of the header, the rest of it, the body
  const std::size_t header_end = fourth.find("\r\n\r\n") + 4;
  for (const auto& [from, to] : {std::pair<std::size_t, std::size_t>{0, 20}, {20, header_end}, {header_end, fourth.size()}}) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    ASSERT_EQ(::write(fd, fourth.data() + from, to - from), static_cast<ssize_t>(to - from));
  }
  const std::vector<int> answered = read_answers(fd, 4);
  ::close(fd);
  EXPECT_EQ(answered, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(echo.dispatcher.calls.load(), 4);
}

// While a blocking invoke runs, the connection's next read is already armed (Session::arm_early_read): a
// request sent before the previous answer is kept and answered after it, and a client that ends its side
// while an invoke runs still gets that answer before the connection closes.
TEST(HttpServerAsync, BytesArrivingWhileAnInvokeRunsWaitForItsAnswer) {
  SlowEchoServer echo(100);
  const int fd = connect_loopback(echo.server.port());
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 2; ++i) {  // the second request arrives while the first one's function runs
    const std::string r = echo_request(i);
    ASSERT_EQ(::write(fd, r.data(), r.size()), static_cast<ssize_t>(r.size()));
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  EXPECT_EQ(read_answers(fd, 2), (std::vector<int>{0, 1}));
  const std::string last = echo_request(2);
  ASSERT_EQ(::write(fd, last.data(), last.size()), static_cast<ssize_t>(last.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  ::shutdown(fd, SHUT_WR);  // the end of the stream reaches the armed read while the invoke runs
  EXPECT_EQ(read_answers(fd, 2), (std::vector<int>{2}));  // its answer, then the close
  char byte;
  EXPECT_EQ(::read(fd, &byte, 1), 0);
  ::close(fd);
  EXPECT_EQ(echo.dispatcher.calls.load(), 3);
}

// Echoes, and notes whether each dispatch was told its caller waits for the result (WaitsForResult).
class HintDispatcher final : public invoker::Dispatcher {
 public:
  void dispatch(net::InvocationRequest req, std::function<void(net::ActivationRecord)> done) override {
    const bool waits = invoker::WaitsForResult::take();
    {
      std::lock_guard lock(mu);  // a non-blocking invoke is dispatched from the store's thread
      hints.push_back(waits);
    }
    done(echo_record(req));
  }
  bool last() {
    std::lock_guard lock(mu);
    return hints.back();
  }
  std::size_t hints_size() {
    std::lock_guard lock(mu);
    return hints.size();
  }
  std::mutex mu;
  std::vector<bool> hints;
};

// A blocking invoke may hold its I/O thread for its own result (RemoteDispatcher::read_own) only when
// its connection is the only one open on that thread: a second open connection there turns it off
// (the case the rule exists for: the thread serves that connection too), and a non-blocking invoke
// never asks.
TEST(HttpServerAsync, OnlyABlockingInvokeAloneOnItsIoThreadMayWaitForItsResultThere) {
  Store store(":memory:");
  HintDispatcher dispatcher;
  Api api(store, dispatcher);
  store.put_namespace("guest", "uuid", "key");
  net::ActionRecord echo{"guest", "echo", "python:3", "def main(a): return a"};
  store.put_action(echo, false);
  net::HttpServer server(api, net::HttpServerConfig{.address = "127.0.0.1", .port = 0, .io_threads = 1});
  const std::string auth = net::basic_auth("uuid", "key");
  const std::string blocking = "/api/v1/namespaces/_/actions/echo?blocking=true&result=true";
  net::HttpClient one("127.0.0.1", server.port());
  ASSERT_EQ(one.send({"POST", blocking, auth, "{}"}).status, 200);
  ASSERT_EQ(one.send({"POST", "/api/v1/namespaces/_/actions/echo", auth, "{}"}).status, 202);
  // The non-blocking one is dispatched once its journal row commits, on the store's thread: wait for it,
  // so that its hint lands second and not among the later ones.
  for (int i = 0; i < 1000 && dispatcher.hints_size() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(dispatcher.hints_size(), 2u);
  {
    net::HttpClient two("127.0.0.1", server.port());
    ASSERT_EQ(two.send({"GET", "/healthz", "", ""}).status, 200);  // open, on the same (only) I/O thread
    ASSERT_EQ(one.send({"POST", blocking, auth, "{}"}).status, 200);
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool alone_again = false;  // the second connection's close reaches the server asynchronously
  while (!alone_again && std::chrono::steady_clock::now() < until) {
    ASSERT_EQ(one.send({"POST", blocking, auth, "{}"}).status, 200);
    alone_again = dispatcher.last();
  }
  std::lock_guard lock(dispatcher.mu);
  ASSERT_GE(dispatcher.hints.size(), 4u);
  EXPECT_TRUE(dispatcher.hints[0]);   // blocking, alone
  EXPECT_FALSE(dispatcher.hints[1]);  // non-blocking
  EXPECT_FALSE(dispatcher.hints[2]);  // blocking with another connection open on the thread
  EXPECT_TRUE(alone_again);
}

TEST(HttpClient, ConnectionRefusedIsAClearError) {
  net::HttpClient client("127.0.0.1", 1);
  try {
    client.send({"GET", "/", "", ""});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:1"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hearth::controller
