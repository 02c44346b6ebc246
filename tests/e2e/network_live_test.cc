// End-to-end: `hearth up --network per-container|particle` as a real process; a Python function fetches
// from a local HTTP server on the host bridge (the subnet's first address), which sees the container's
// own address; after a stop nothing of the network is left on the host (docs/network.md). Root only.
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "net/container_network.h"
#include "net/http_client.h"
#include "sandbox/sandbox.h"
#include "tests/e2e/platform.h"
#include "tests/e2e/run_hearth.h"
#include "tests/net/peer_address_server.h"
#include "tests/trace/temp_dir.h"

namespace {

using nlohmann::json;

class NetworkUp : public ::testing::TestWithParam<const char*> {};

TEST_P(NetworkUp, AFunctionFetchesFromAServerOnTheBridgeWithItsOwnAddress) {
  const std::string mode = GetParam();
  std::string why;
  if (hearth::sandbox::Sandbox::privilege(&why) != hearth::sandbox::Privilege::kRoot)
    GTEST_SKIP() << "--network needs root with writable cgroups: " << why;
  if (!hearth::net::ContainerNetworks::supported(*hearth::net::parse_network_mode(mode), &why))
    GTEST_SKIP() << "container networks unavailable: " << why;
  const std::string net = mode == "particle" ? "10.236.0." : "10.237.0.";
  const std::string gateway = net + "1";
  hearth::testing::TempDir dir;
  {
    hearth::testing::Platform platform(dir.str() + "/data", "--prewarm none --network " + mode + " --network-subnet " + net + "0/24");
    ASSERT_NE(platform.port(), 0);
    hearth::testing::PeerAddressServer server(gateway, /*http=*/true);
    ASSERT_GT(server.port(), 0) << "the invoker made no bridge with " << gateway;
    hearth::net::HttpClient client("127.0.0.1", platform.port());
    const std::string code = "import urllib.request\ndef main(a):\n    with urllib.request.urlopen('http://" + gateway + ":" +
                             std::to_string(server.port()) + "/', timeout=5) as r:\n        return {'body': r.read().decode()}\n";
    ASSERT_EQ(client.send({"PUT", "/api/v1/namespaces/_/actions/fetch", platform.auth(),
                           json{{"exec", {{"kind", "python:3"}, {"code", code}}}}.dump()}).status, 200);
    const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/fetch?blocking=true", platform.auth(), "{}"});
    const json activation = json::parse(r.body);
    const std::string body = activation["response"]["result"].value("body", "");
    ASSERT_EQ(body.rfind("hello " + net, 0), 0u) << activation.dump();
    EXPECT_NE(body, "hello " + gateway) << "the server saw the container's own address, not the bridge's";
    EXPECT_EQ(activation["hearth"]["start_kind"], "cold") << "a tenant's first start: no zygote or stem cell yet";
    // The tenant's zygote (particle: started in its namespace after that first start) serves its next
    // cold starts; the fork fetches with its own address too. Per-container has no tenant namespace to
    // start one in: its starts stay cold.
    std::string kind, fork_body;
    for (int i = 0; i < 20 && kind != "zygote"; ++i) {
      const std::string name = "fetch" + std::to_string(i);
      ASSERT_EQ(client.send({"PUT", "/api/v1/namespaces/_/actions/" + name, platform.auth(),
                             json{{"exec", {{"kind", "python:3"}, {"code", code}}}}.dump()}).status, 200);
      const json a = json::parse(client.send({"POST", "/api/v1/namespaces/_/actions/" + name + "?blocking=true", platform.auth(), "{}"}).body);
      kind = a["hearth"].value("start_kind", "");
      fork_body = a["response"]["result"].value("body", "");
      ASSERT_EQ(fork_body.rfind("hello " + net, 0), 0u) << a.dump();
      EXPECT_NE(fork_body, "hello " + gateway) << a.dump();
      if (mode != "particle") break;
      if (kind != "zygote") std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    EXPECT_EQ(kind, mode == "particle" ? "zygote" : "cold");
    if (mode == "particle") {
      EXPECT_NE(fork_body, body) << "the fork has an address of its own";
    }
    EXPECT_NE(hearth::testing::run_shell("ip -o addr show").out.find(net), std::string::npos);
    EXPECT_TRUE(platform.stop_within(std::chrono::seconds(20)));
  }
  // Stopped: the bridge (the only host interface with an address in the subnet) and the rest are gone.
  EXPECT_EQ(hearth::testing::run_shell("ip -o addr show").out.find(net), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Modes, NetworkUp, ::testing::Values("per-container", "particle"),
                         [](const auto& info) { return std::string(info.param) == "particle" ? "Particle" : "PerContainer"; });

TEST(NetworkUpFlags, BadNetworkFlagsAreRefusedClearly) {
  const auto bad = hearth::testing::hearth("up --port 0 --data-dir /nonexistent-hearth --network bridge");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("--network"), std::string::npos) << bad.out;
  const auto off = hearth::testing::hearth("up --port 0 --data-dir /nonexistent-hearth --sandbox off --network particle");
  EXPECT_NE(off.exit_code, 0);
  EXPECT_NE(off.out.find("needs sandboxes"), std::string::npos) << off.out;
}

}  // namespace
