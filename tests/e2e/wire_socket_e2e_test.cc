// The default `hearth up` joins its own invoker process over a Unix socket in the data directory
// (docs/wire-protocol.md, "Transport"): the invoker is told unix:DATA_DIR/wire.sock, invocations run, the
// file is 0600 in a directory only its owner enters, a probe without the token is refused on it where the
// same probe with the token is welcomed, a killed invoker rejoins over it, the file is gone after a stop,
// a stale one left by a killed `hearth up` is replaced, and `--wire-socket off` keeps the TCP wire.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_client.h"
#include "net/secrets.h"
#include "tests/controller/raw_invoker.h"
#include "tests/e2e/platform.h"
#include "tests/e2e/run_hearth.h"
#include "tests/trace/temp_dir.h"

namespace {

using hearth::net::HttpClient;
using hearth::testing::Platform;
using nlohmann::json;

constexpr const char* kFlags = "--invokers 1 --prewarm none --sandbox off";

std::string cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
  std::string s((std::istreambuf_iterator<char>(in)), {});
  for (char& c : s)
    if (c == '\0') c = ' ';
  return s;
}

// Deploys a Node.js echo as "hi" and returns a blocking invoke's status.
struct Echo {
  Echo(const Platform& p) : platform(p), client("127.0.0.1", p.port()) {
    EXPECT_EQ(client.send({"PUT", "/api/v1/namespaces/_/actions/hi", p.auth(),
                           json{{"exec", {{"kind", "nodejs:20"}, {"code", "function main(p) { return {hi: p.who}; }"}}}}.dump()})
                  .status, 200);
  }
  int invoke() {
    return client.send({"POST", "/api/v1/namespaces/_/actions/hi?blocking=true&result=true", platform.auth(), R"({"who":"uds"})"})
        .status;
  }
  const Platform& platform;
  HttpClient client;
};

std::string metric(HttpClient& client, const Platform& p, const std::string& name) {
  const std::string m = client.send({"GET", "/metrics", p.auth(), ""}).body;
  const auto at = m.find("\n" + name + " ");
  return at == std::string::npos ? "absent" : m.substr(at + name.size() + 2, m.find('\n', at + 1) - at - name.size() - 2);
}

TEST(WireSocketE2E, TheOwnInvokerJoinsOverThePrivateSocketAndTheTokenIsStillRequired) {
  hearth::testing::TempDir dir;
  const std::string data = dir.str() + "/data", sock = data + "/wire.sock";
  {
    Platform platform(data, kFlags);
    ASSERT_NE(platform.port(), 0);
    Echo echo(platform);
    EXPECT_EQ(echo.invoke(), 200);
    EXPECT_NE(cmdline(platform.invokers().at("invoker0")).find("--controller unix:" + sock + " "), std::string::npos)
        << cmdline(platform.invokers().at("invoker0"));
    struct stat st{}, dir_st{};
    ASSERT_EQ(lstat(sock.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    ASSERT_EQ(stat(data.c_str(), &dir_st), 0);
    EXPECT_EQ(dir_st.st_mode & 077, 0u);  // only the owner enters the data directory
    // A peer without the token is refused on the socket; the same probe with the token is welcomed.
    std::string answer;
    int fd = hearth::controller::testing::raw_handshake(hearth::controller::testing::connect_wire(sock), "probe",
                                                        std::string(64, 'x'), &answer);
    EXPECT_EQ(json::parse(answer).at("type"), "refused") << answer;
    close(fd);
    const std::string token = hearth::net::secrets::read_secret_file(data + "/wire.token");
    fd = hearth::controller::testing::raw_handshake(hearth::controller::testing::connect_wire(sock), "probe", token, &answer);
    EXPECT_EQ(json::parse(answer).at("type"), "welcome") << answer;
    close(fd);  // the probe goes down; invoker0 serves on
    for (int i = 0; i < 100 && metric(echo.client, platform, "hearth_wire_auth_failures_total") != "1"; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(metric(echo.client, platform, "hearth_wire_auth_failures_total"), "1");
    // A killed invoker is started again and rejoins over the socket.
    const pid_t first = platform.invokers().at("invoker0");
    ASSERT_EQ(kill(first, SIGKILL), 0);
    int status = 0;
    pid_t second = 0;
    for (int i = 0; i < 300 && status != 200; ++i) {
      const auto now = platform.invokers();
      if (now.count("invoker0") && now.at("invoker0") != first) second = now.at("invoker0");
      if (second) status = echo.invoke();
      if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_NE(second, 0);
    EXPECT_EQ(status, 200);
    if (second) {
      EXPECT_NE(cmdline(second).find("--controller unix:" + sock), std::string::npos);
    }
    EXPECT_TRUE(platform.stop_within(std::chrono::seconds(20)));
  }
  struct stat st{};
  EXPECT_NE(lstat(sock.c_str(), &st), 0) << "the socket outlived hearth up";
}

TEST(WireSocketE2E, AStaleSocketFromAKilledRunIsReplaced) {
  hearth::testing::TempDir dir;
  const std::string data = dir.str() + "/data", sock = data + "/wire.sock";
  {
    Platform killed(data, kFlags);
    ASSERT_NE(killed.port(), 0);
    ASSERT_EQ(kill(killed.pid(), SIGKILL), 0);
  }  // reaped; its invoker follows it (PR_SET_PDEATHSIG)
  struct stat st{};
  ASSERT_EQ(lstat(sock.c_str(), &st), 0) << "a killed run leaves its socket file";
  Platform platform(data, kFlags);
  ASSERT_NE(platform.port(), 0);
  Echo echo(platform);
  EXPECT_EQ(echo.invoke(), 200);
}

TEST(WireSocketE2E, WireSocketOffKeepsTheTcpWireAndABadPathIsRefused) {
  hearth::testing::TempDir dir;
  {
    Platform platform(dir.str() + "/data", std::string(kFlags) + " --wire-socket off");
    ASSERT_NE(platform.wire_port(), 0);
    Echo echo(platform);
    EXPECT_EQ(echo.invoke(), 200);
    EXPECT_NE(cmdline(platform.invokers().at("invoker0")).find("--controller 127.0.0.1:"), std::string::npos);
    EXPECT_NE(access((dir.str() + "/data/wire.sock").c_str(), F_OK), 0);
  }
  std::filesystem::create_directories(dir.str() + "/open");
  std::filesystem::permissions(dir.str() + "/open", std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                                        std::filesystem::perms::group_exec);
  const auto bad = hearth::testing::hearth("up --port 0 --invokers 0 --data-dir " + dir.str() + "/data2 --wire-socket " +
                                           dir.str() + "/open/wire.sock");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("--wire-socket " + dir.str() + "/open/wire.sock: the wire socket's directory"), std::string::npos)
      << bad.out;
  EXPECT_NE(bad.out.find("other users may enter it"), std::string::npos) << bad.out;
  const auto bad_address = hearth::testing::hearth("invoker --controller unix: --token-file " + dir.str() + "/t");
  EXPECT_NE(bad_address.exit_code, 0);
  EXPECT_NE(bad_address.out.find("'unix:' is not a wire address"), std::string::npos) << bad_address.out;
}

}  // namespace
