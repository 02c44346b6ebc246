// TLS on the wire (live/wire_tls.h): a controller and an invoker over TLS on 127.0.0.1 with certificates
// made at test time; the right CA works and a wrong CA or name is refused; without TLS a listener off
// loopback is refused; and what crosses the socket is ciphertext (shown by the same recording proxy
// seeing the plaintext without TLS first).
#include "net/wire_tls.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "invoker/invoker_agent.h"
#include "controller/remote_dispatcher.h"
#include "net/wire.h"
#include "tests/invoker/fake_factory.h"
#include "tests/controller/raw_invoker.h"

namespace hearth::controller {
namespace {

namespace fs = std::filesystem;

class WireTls : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "hearth-wire-tls-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    net::wire::write_self_signed(file("controller.crt"), file("controller.key"), "127.0.0.1");
    net::wire::write_self_signed(file("other.crt"), file("other.key"), "127.0.0.1");  // same name, another key
    net::wire::write_self_signed(file("named.crt"), file("named.key"), "controller.example");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  RemoteDispatcherConfig controller(const std::string& cert = "controller") const {
    RemoteDispatcherConfig c;
    c.token = testing::kToken;
    c.handshake_timeout_ms = 2000;
    if (!cert.empty()) {
      c.tls_cert_file = file(cert + ".crt");
      c.tls_key_file = file(cert + ".key");
    }
    return c;
  }
  static invoker::InvokerAgentConfig invoker(std::uint16_t port, const std::string& ca, const std::string& name = "") {
    invoker::InvokerAgentConfig c;
    c.controller = "127.0.0.1:" + std::to_string(port);
    c.token = testing::kToken;
    c.name = "tls-invoker";
    c.pool.invoker_memory_mb = 1024;
    c.pool.concurrency = 2;
    c.heartbeat_ms = 100;
    c.tls_ca_file = ca;
    c.tls_name = name;
    return c;
  }

  fs::path dir_;
};

net::ActionRecord action() {
  net::ActionRecord a{"guest", "hello", "python:3", "ok"};
  a.revision = 1;
  return a;
}

net::ActivationRecord invoke(RemoteDispatcher& d, const std::string& params) {
  std::promise<net::ActivationRecord> p;
  auto f = p.get_future();
  d.dispatch(net::InvocationRequest{action(), params, "id-tls", 0}, [&p](net::ActivationRecord r) { p.set_value(std::move(r)); });
  return f.get();
}

// Serves `agent` on a thread until it is stopped.
struct Serving {
  explicit Serving(invoker::InvokerAgent& a) : agent(a), thread([this] { agent.serve(); }) {}
  ~Serving() {
    agent.stop();
    thread.join();
  }
  invoker::InvokerAgent& agent;
  std::thread thread;
};

TEST_F(WireTls, TheRightCaJoinsAndRunsAWrongCaIsRefused) {
  RemoteDispatcher d(controller());
  invoker::FakeFactory factory;
  {
    invoker::InvokerAgent agent(factory, invoker(d.port(), file("controller.crt")));
    Serving serving(agent);
    ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
    const net::ActivationRecord r = invoke(d, R"({"over":"tls"})");
    EXPECT_EQ(r.status, "success");
    EXPECT_EQ(r.result_json, R"({"over":"tls"})");
  }
  invoker::FakeFactory other_factory;
  try {
    invoker::InvokerAgent impostor_trust(other_factory, invoker(d.port(), file("other.crt")));
    FAIL() << "an invoker trusting another certificate joined";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("certificate verify failed"), std::string::npos) << e.what();
  }
  EXPECT_EQ(other_factory.created.load(), 0);
}

TEST_F(WireTls, TheCertificateMustNameTheController) {
  RemoteDispatcher d(controller("named"));  // names controller.example, reached at 127.0.0.1
  invoker::FakeFactory factory;
  {
    invoker::InvokerAgent agent(factory, invoker(d.port(), file("named.crt"), "controller.example"));
    Serving serving(agent);
    ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
    EXPECT_EQ(invoke(d, "{}").status, "success");
  }
  try {
    invoker::InvokerAgent agent(factory, invoker(d.port(), file("named.crt")));  // verifies 127.0.0.1: not in the cert
    FAIL() << "a certificate for another name was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("certificate verify failed"), std::string::npos) << e.what();
  }
}

TEST_F(WireTls, APlainInvokerCannotJoinATlsController) {
  RemoteDispatcherConfig c = controller();
  c.handshake_timeout_ms = 300;  // the plain invoker waits for a challenge that never comes in clear
  RemoteDispatcher d(c);
  invoker::FakeFactory factory;
  EXPECT_THROW((invoker::InvokerAgent(factory, invoker(d.port(), ""))), std::runtime_error);
  EXPECT_EQ(d.wait_for_invokers(1, 100), 0);
}

TEST_F(WireTls, OffLoopbackTheWireNeedsTlsOrAnExplicitInsecureFlag) {
  EXPECT_TRUE(net::wire::is_loopback("127.0.0.1"));
  EXPECT_TRUE(net::wire::is_loopback("127.1.2.3"));
  EXPECT_FALSE(net::wire::is_loopback("0.0.0.0"));
  EXPECT_FALSE(net::wire::is_loopback("10.0.0.5"));
  RemoteDispatcherConfig plain = controller("");
  plain.address = "0.0.0.0";  // refused before anything listens (tests bind only 127.0.0.1)
  try {
    RemoteDispatcher d(plain);
    FAIL() << "a plain wire listened on 0.0.0.0";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--wire-insecure"), std::string::npos) << e.what();
  }
  RemoteDispatcherConfig half = controller();
  half.tls_key_file.clear();
  EXPECT_THROW(RemoteDispatcher{half}, std::invalid_argument);
  RemoteDispatcherConfig missing = controller();
  missing.tls_cert_file = file("absent.crt");
  try {
    RemoteDispatcher d(missing);
    FAIL() << "a missing certificate was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("absent.crt"), std::string::npos) << e.what();
  }
}

// A TCP proxy on 127.0.0.1 that records every byte it forwards to the controller and back.
class RecordingProxy {
 public:
  explicit RecordingProxy(std::uint16_t target) : target_(target) {
    listen_ = net::wire::listen_tcp("127.0.0.1", 0, &port_);
    thread_ = std::thread([this] {
      const int in = accept(listen_, nullptr, nullptr);
      if (in < 0) return;
      const int out = net::wire::connect_tcp("127.0.0.1", target_);
      std::thread back([this, in, out] { pump(out, in); });
      pump(in, out);
      back.join();
      close(in);
      close(out);
    });
  }
  ~RecordingProxy() {
    ::shutdown(listen_, SHUT_RDWR);
    thread_.join();
    close(listen_);
  }
  std::uint16_t port() const { return port_; }
  std::string seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  void pump(int from, int to) {
    char buf[16384];
    ssize_t n;
    while ((n = read(from, buf, sizeof buf)) > 0) {
      {
        std::lock_guard lock(mu_);
        seen_.append(buf, static_cast<std::size_t>(n));
      }
      if (send(to, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) break;
    }
    ::shutdown(to, SHUT_RDWR);
    ::shutdown(from, SHUT_RDWR);
  }
  std::uint16_t target_, port_ = 0;
  int listen_ = -1;
  std::mutex mu_;
  std::string seen_;
  std::thread thread_;
};

// The same invocation through the same recording proxy: its parameters, result and code are readable on
// the plain wire and absent from the TLS one.
TEST_F(WireTls, OnlyCiphertextCrossesTheSocket) {
  const std::string marker = "marker-7f3a9c-params-in-clear";
  for (const bool tls : {false, true}) {
    RemoteDispatcher d(controller(tls ? "controller" : ""));
    RecordingProxy proxy(d.port());
    invoker::FakeFactory factory;
    std::string seen;
    {
      invoker::InvokerAgent agent(factory, invoker(proxy.port(), tls ? file("controller.crt") : ""));
      Serving serving(agent);
      ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
      EXPECT_EQ(invoke(d, R"({"m":")" + marker + R"("})").status, "success");
      seen = proxy.seen();
    }
    EXPECT_GT(seen.size(), 100u);
    EXPECT_EQ(seen.find(marker) != std::string::npos, !tls) << (tls ? "TLS" : "plain");
    EXPECT_EQ(seen.find("\"hello\"") != std::string::npos, !tls) << (tls ? "TLS" : "plain");
  }
}

}  // namespace
}  // namespace hearth::controller
