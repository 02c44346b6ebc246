// The wire over a Unix-domain socket (RemoteDispatcherConfig::unix_path, net/wire_address.h) against a
// real controller: the token's handshake holds there as on TCP (the probe with the token is welcomed, the
// same probe without it or with a wrong one is refused and receives nothing), a real InvokerAgent joins
// at "unix:PATH" and runs an invocation, the socket file is 0600 and gone after stop(), another user
// cannot connect where root can (and is refused for its credentials, token or not, where
// the file's permissions are opened), and a stale file from a killed run is replaced while a live one is not.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "controller/remote_dispatcher.h"
#include "invoker/invoker_agent.h"
#include "net/wire_address.h"
#include "tests/controller/raw_invoker.h"
#include "tests/invoker/fake_factory.h"
#include "tests/trace/temp_dir.h"

namespace hearth::controller {
namespace {

using nlohmann::json;
using testing::kToken;

RemoteDispatcherConfig config(const std::string& socket_path) {
  RemoteDispatcherConfig c;
  c.token = kToken;
  c.heartbeat_timeout_ms = 60'000;  // raw invokers send no heartbeats
  c.unix_path = socket_path;
  return c;
}

std::string metric(RemoteDispatcher& d, const std::string& name) {
  const std::string m = d.prometheus_metrics();
  const auto at = m.find("\n" + name + " ");
  return at == std::string::npos ? "absent" : m.substr(at + name.size() + 2, m.find('\n', at + 1) - at - name.size() - 2);
}

net::ActivationRecord invoke(RemoteDispatcher& d, const net::ActionRecord& a) {
  std::promise<net::ActivationRecord> p;
  auto f = p.get_future();
  d.dispatch(net::InvocationRequest{a, R"({"secret":"param"})", "id-" + a.name, 0},
             [&p](net::ActivationRecord r) { p.set_value(std::move(r)); });
  return f.get();
}

TEST(WireUnix, TheTokenIsCheckedOnTheSocketAsOnTcp) {
  hearth::testing::TempDir dir;
  const std::string path = dir.str() + "/wire.sock";
  RemoteDispatcher d(config(path));
  // The probe: the token's holder is welcomed on the socket and is sent code and parameters.
  std::string answer;
  const int good = testing::raw_handshake(testing::connect_wire(path), "raw", kToken, &answer);
  ASSERT_EQ(json::parse(answer).at("type"), "welcome") << answer;
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);
  std::promise<net::ActivationRecord> ended;
  d.dispatch(net::InvocationRequest{testing::wire_action("f"), R"({"secret":"param"})", "id-1", 0},
             [&ended](net::ActivationRecord r) { ended.set_value(std::move(r)); });
  std::string invoke_frame, error;
  ASSERT_TRUE(testing::recv_frame(good, &invoke_frame, &error, net::FrameClock::now() + std::chrono::seconds(5))) << error;
  EXPECT_NE(invoke_frame.find("param"), std::string::npos);
  close(good);
  EXPECT_EQ(ended.get_future().get().status, "whisk internal error");  // it went away without answering
  // The same probe without a proof, or with a wrong token, is refused and then closed.
  for (const std::string& token : {std::string(), std::string(64, 'x')}) {
    const int fd = testing::raw_handshake(testing::connect_wire(path), "raw", token, &answer);
    EXPECT_EQ(json::parse(answer).at("type"), "refused") << answer;
    std::string more;
    EXPECT_FALSE(testing::recv_frame(fd, &more, &error, net::FrameClock::now() + std::chrono::seconds(2))) << more;
    close(fd);
  }
  for (int i = 0; i < 400 && metric(d, "hearth_wire_auth_failures_total") != "2"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(metric(d, "hearth_wire_auth_failures_total"), "2");
}

TEST(WireUnix, AnAgentJoinsOnTheSocketAndTheFileIsPrivateAndRemovedAtStop) {
  hearth::testing::TempDir dir;
  const std::string path = dir.str() + "/wire.sock";
  auto d = std::make_unique<RemoteDispatcher>(config(path));
  struct stat st{};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, geteuid());
  invoker::FakeFactory factory;
  invoker::InvokerAgentConfig c;
  c.controller = "unix:" + path;
  c.token = kToken;
  c.name = "local";
  c.pool.invoker_memory_mb = 1024;
  {
    invoker::InvokerAgent agent(factory, c);
    std::thread serving([&] { agent.serve(); });
    ASSERT_EQ(d->wait_for_invokers(1, 5000), 1);
    const net::ActivationRecord r = invoke(*d, testing::wire_action("f"));
    EXPECT_EQ(r.status, "success") << r.result_json;
    EXPECT_EQ(r.invoker, "local");
    agent.stop();
    serving.join();
  }
  // TLS is for TCP: an agent told to verify a certificate on a Unix socket refuses to start, saying so.
  c.tls_ca_file = "/nonexistent.crt";
  try {
    invoker::InvokerAgent tls_agent(factory, c);
    ADD_FAILURE() << "TLS over a Unix socket was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("TCP only"), std::string::npos) << e.what();
  }
  d->stop();
  EXPECT_NE(lstat(path.c_str(), &st), 0);  // removed
  d.reset();
}

// What a process running as `uid` meets on the socket at `path`: a forked child drops to that user,
// connects and waits up to 5 s for the controller's first frame (the challenge). The child makes only
// async-signal-safe calls (no allocation, no locks): this process has the dispatcher's threads, and a child
// that allocated could block forever on a lock one of them held at the fork (CI once hung here 900 s).
// The parent gives the child 20 s, then kills it.
enum class Probe { kChallenged, kCannotConnect, kClosedWithoutChallenge, kOther };
Probe probe_as(uid_t uid, const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    ADD_FAILURE() << "socket path too long: " << path;
    return Probe::kOther;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const pid_t child = fork();
  if (child == 0) {
    if (uid != 0 && (setgid(65534) != 0 || setuid(uid) != 0)) _exit(9);
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) _exit(8);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      _exit(static_cast<int>(Probe::kCannotConnect));
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) _exit(static_cast<int>(Probe::kOther));  // neither a frame nor a close
    char byte = 0;
    const ssize_t n = read(fd, &byte, 1);
    _exit(static_cast<int>(n > 0 ? Probe::kChallenged : Probe::kClosedWithoutChallenge));
  }
  if (child < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return Probe::kOther;
  }
  int status = 0;
  pid_t waited = 0;
  for (int i = 0; i < 2000 && (waited = waitpid(child, &status, WNOHANG)) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (waited == 0) {
    kill(child, SIGKILL);
    waitpid(child, &status, 0);
    ADD_FAILURE() << "the probe as uid " << uid << " did not end in 20 s";
    return Probe::kOther;
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 9 && WEXITSTATUS(status) != 8)
      << "could not drop to uid " << uid << " or make a socket";
  return WIFEXITED(status) ? static_cast<Probe>(WEXITSTATUS(status)) : Probe::kOther;
}

TEST(WireUnix, AnotherUserCannotReachTheSocketEvenWithTheToken) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to run a probe as another user";
  hearth::testing::TempDir dir;
  const std::string path = dir.str() + "/wire.sock";
  RemoteDispatcher d(config(path));
  // The probe, as the socket's owner: challenged, and welcomed with the token.
  EXPECT_EQ(probe_as(0, path), Probe::kChallenged);
  std::string answer;
  close(testing::raw_handshake(testing::connect_wire(path), "owner", kToken, &answer));
  EXPECT_EQ(json::parse(answer).at("type"), "welcome") << answer;
  EXPECT_EQ(probe_as(65534, path), Probe::kCannotConnect);  // as nobody: the directory and the file keep it out
  // With the directory and the file opened up, nobody reaches the socket, and the controller refuses it
  // for its credentials (SO_PEERCRED) before any challenge: no token could help it.
  for (int i = 0; i < 400 && metric(d, "hearth_wire_auth_failures_total") != "1"; ++i)  // the owner's probe
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(metric(d, "hearth_wire_auth_failures_total"), "1");
  chmod(dir.str().c_str(), 0755);
  chmod(path.c_str(), 0666);
  EXPECT_EQ(probe_as(65534, path), Probe::kClosedWithoutChallenge);
  for (int i = 0; i < 400 && metric(d, "hearth_wire_auth_failures_total") != "2"; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(metric(d, "hearth_wire_auth_failures_total"), "2");
}

TEST(WireUnix, AStaleSocketIsReplacedALiveOneOrAnotherFileIsNot) {
  hearth::testing::TempDir dir;
  const std::string path = dir.str() + "/wire.sock";
  {
    // A killed run leaves its file behind: a listener closed without removing it.
    net::wire::UnixListener killed = net::wire::listen_unix(path);
    close(killed.fd);
  }
  {
    RemoteDispatcher d(config(path));  // replaces it
    std::string answer;
    close(testing::raw_handshake(testing::connect_wire(path), "raw", kToken, &answer));
    EXPECT_EQ(json::parse(answer).at("type"), "welcome") << answer;
    try {
      RemoteDispatcher second(config(path));
      ADD_FAILURE() << "a second controller took a live socket";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("another process listens"), std::string::npos) << e.what();
    }
  }
  dir.write("wire.sock", "not a socket");
  try {
    RemoteDispatcher d(config(path));
    ADD_FAILURE() << "a regular file was replaced";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("not a socket"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hearth::controller
