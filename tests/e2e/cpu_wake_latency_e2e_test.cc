// `hearth up` keeps idle CPUs quick to wake while invocations arrive (net/cpu_wake_latency.h): the
// controller holds /dev/cpu_dma_latency open (the kernel's PM QoS request lives as long as that
// descriptor) from the first invocation until --cpu-wake-hold-ms pass without one, and says so in
// /metrics; before any invocation, after the quiet period, and with --cpu-wake-latency-us off it holds
// nothing. The invoker process it starts on its host is told off (the host's request is the
// controller's); a `hearth invoker` joining from elsewhere holds its own host's while its invokes arrive.
// A latency that is not a number is refused at start. Needs the real device writable (root).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "net/http_client.h"
#include "tests/e2e/platform.h"
#include "tests/e2e/run_hearth.h"
#include "tests/net/eventually.h"
#include "tests/trace/temp_dir.h"

namespace {

using hearth::net::HttpClient;
using hearth::testing::Platform;
using nlohmann::json;

constexpr const char* kDevice = "/dev/cpu_dma_latency";
constexpr const char* kFlags = "--prewarm none --sandbox off --cpu-wake-hold-ms 300 ";

// Descriptors of process `pid` open on the PM QoS device.
int device_descriptors(pid_t pid) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    std::error_code link_ec;
    if (std::filesystem::read_symlink(e.path(), link_ec) == kDevice) ++n;
  }
  return n;
}

std::string metric(HttpClient& client, const Platform& p, const std::string& name) {
  const std::string m = client.send({"GET", "/metrics", p.auth(), ""}).body;
  const auto at = m.find("\n" + name + " ");
  return at == std::string::npos ? "absent" : m.substr(at + name.size() + 2, m.find('\n', at + 1) - at - name.size() - 2);
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds within) {
  return hearth::testing::eventually(pred, within, std::chrono::milliseconds(10));  // each poll reads /proc
}

class CpuWakeLatencyE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kDevice, W_OK) != 0) GTEST_SKIP() << kDevice << " is not writable here (needs root)";
  }
  static void deploy(HttpClient& client, const Platform& p) {
    ASSERT_EQ(client.send({"PUT", "/api/v1/namespaces/_/actions/hi", p.auth(),
                           json{{"exec", {{"kind", "python:3"}, {"code", "def main(p):\n    return {'hi': 1}\n"}}}}.dump()})
                  .status, 200);
  }
  static int invoke(HttpClient& client, const Platform& p) {
    return client.send({"POST", "/api/v1/namespaces/_/actions/hi?blocking=true&result=true", p.auth(), "{}"}).status;
  }
};

TEST_F(CpuWakeLatencyE2E, HeldWhileInvocationsArriveAndReleasedAfterTheQuietPeriod) {
  hearth::testing::TempDir dir;
  Platform p(dir.path().string(), std::string(kFlags) + "--invokers 1");
  HttpClient client("127.0.0.1", p.port());
  deploy(client, p);
  EXPECT_EQ(device_descriptors(p.pid()), 0) << "held before any invocation";
  EXPECT_EQ(metric(client, p, "hearth_cpu_wake_latency_held"), "0");

  ASSERT_EQ(invoke(client, p), 200);
  ASSERT_TRUE(eventually([&] { return device_descriptors(p.pid()) == 1; }, std::chrono::milliseconds(3000)))
      << "an invocation did not take the hold";
  EXPECT_EQ(metric(client, p, "hearth_cpu_wake_latency_held"), "1");
  for (int i = 0; i < 10; ++i) {  // ~1 s of invocations, one per 100 ms: held throughout, taken once
    ASSERT_EQ(invoke(client, p), 200);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_EQ(device_descriptors(p.pid()), 1) << "released while invocations kept arriving (" << i << ")";
  }
  EXPECT_EQ(metric(client, p, "hearth_cpu_wake_latency_holds_total"), "1");

  ASSERT_TRUE(eventually([&] { return device_descriptors(p.pid()) == 0; }, std::chrono::milliseconds(3000)))
      << "still held after the quiet period";
  EXPECT_EQ(metric(client, p, "hearth_cpu_wake_latency_held"), "0");
  ASSERT_EQ(invoke(client, p), 200);  // and taken again
  EXPECT_TRUE(eventually([&] { return device_descriptors(p.pid()) == 1; }, std::chrono::milliseconds(3000)));
  // The own invoker holds nothing: the controller's request is this host's.
  const auto invokers = p.invokers();
  ASSERT_EQ(invokers.count("invoker0"), 1u);
  EXPECT_EQ(device_descriptors(invokers.at("invoker0")), 0);
  std::ifstream cmdline("/proc/" + std::to_string(invokers.at("invoker0")) + "/cmdline");
  const std::string args((std::istreambuf_iterator<char>(cmdline)), {});
  EXPECT_NE(args.find(std::string("--cpu-wake-latency-us") + '\0' + "off"), std::string::npos);
}

TEST_F(CpuWakeLatencyE2E, AnInvokerJoiningFromElsewhereHoldsItsHostsWhileItsInvokesArrive) {
  hearth::testing::TempDir dir;
  const std::string data = dir.str() + "/data";
  Platform p(data, std::string(kFlags) + "--invokers 0 --wire-socket off --cpu-wake-latency-us off");
  HttpClient client("127.0.0.1", p.port());
  deploy(client, p);
  const hearth::testing::InvokerProcess remote("--controller 127.0.0.1:" + std::to_string(p.wire_port()) +
                                               " --name remote1 --sandbox off --prewarm none --cpu-wake-hold-ms 300 "
                                               "--token-file " + data + "/wire.token --data-dir " + dir.str() + "/remote1");
  const pid_t invoker = remote.pid();
  int status = 0;
  for (int i = 0; i < 100 && (status = invoke(client, p)) != 200; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(status, 200);
  EXPECT_TRUE(eventually([&] { return device_descriptors(invoker) == 1; }, std::chrono::milliseconds(3000)))
      << "the invoker did not take its host's hold";
  EXPECT_EQ(device_descriptors(p.pid()), 0) << "the controller was told off";
  EXPECT_TRUE(eventually([&] { return device_descriptors(invoker) == 0; }, std::chrono::milliseconds(3000)))
      << "the invoker's hold outlived the quiet period";
}

TEST_F(CpuWakeLatencyE2E, OffHoldsNothing) {
  hearth::testing::TempDir dir;
  Platform p(dir.path().string(), std::string(kFlags) + "--invokers 1 --cpu-wake-latency-us off");
  HttpClient client("127.0.0.1", p.port());
  deploy(client, p);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(invoke(client, p), 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(device_descriptors(p.pid()), 0);
  EXPECT_EQ(metric(client, p, "hearth_cpu_wake_latency_held"), "absent");
}

TEST(CpuWakeLatencyFlags, ALatencyThatIsNotANumberIsRefusedAtStart) {
  hearth::testing::TempDir dir;
  const auto r = hearth::testing::hearth("up --port 0 --invokers 0 --data-dir " + dir.path().string() +
                                         " --cpu-wake-latency-us fast");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("--cpu-wake-latency-us: 'fast' is neither off nor a latency"), std::string::npos) << r.out;
  const auto big = hearth::testing::hearth("up --port 0 --invokers 0 --data-dir " + dir.path().string() +
                                           " --cpu-wake-latency-us 2000000");
  EXPECT_NE(big.exit_code, 0);
  EXPECT_NE(big.out.find("--cpu-wake-latency-us"), std::string::npos) << big.out;
}

}  // namespace
