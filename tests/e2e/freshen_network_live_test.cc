// End-to-end: freshen along a sequence through a real `hearth up --network particle` (root only): the
// second component fetches from a counting HTTP server on the host bridge over the container network;
// with --freshen on its hook fetches while the first component runs and the invocation takes the hook's
// data: the server counts one request per sequence, not two. The probe that the count would see a
// repeated fetch: the same hook fetching under another fr_state id (no sharing) costs two requests.
// With --freshen off the invocation fetches itself (a miss). docs/freshen.md.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "net/container_network.h"
#include "net/http_client.h"
#include "sandbox/sandbox.h"
#include "tests/e2e/platform.h"
#include "tests/net/counting_server.h"
#include "tests/trace/temp_dir.h"

namespace {

using nlohmann::json;

json annotation(const json& activation, const std::string& key) {
  for (const json& a : activation["annotations"])
    if (a["key"] == key) return a["value"];
  return nullptr;
}

TEST(FreshenNetworkLive, AlongASequenceTheNextComponentsFetchHappensOnceInTheHook) {
  std::string why;
  if (hearth::sandbox::Sandbox::privilege(&why) != hearth::sandbox::Privilege::kRoot)
    GTEST_SKIP() << "--network needs root with writable cgroups: " << why;
  if (!hearth::net::ContainerNetworks::supported(hearth::net::NetworkMode::kParticle, &why))
    GTEST_SKIP() << "container networks unavailable: " << why;
  struct Case {
    bool on;
    int hook_id;  // the fr_state id the hook fetches under (the invocation's: 0)
  };
  for (const Case c : {Case{false, 0}, Case{true, 1}, Case{true, 0}}) {
    const bool on = c.on, shared = c.hook_id == 0;
    SCOPED_TRACE(std::string(on ? "--freshen on" : "--freshen off") + (shared ? "" : ", the hook under another id"));
    const std::string net = on ? "10.238.0." : "10.239.0.";
    hearth::testing::TempDir dir;
    hearth::testing::Platform platform(dir.str() + "/data", "--invokers 1 --prewarm none --network particle --network-subnet " + net +
                                                                "0/24 --freshen " + (on ? "on" : "off"));
    ASSERT_NE(platform.port(), 0);
    hearth::testing::CountingServer server(net + "1");  // on the bridge's address: reachable from the tenant
    ASSERT_NE(server.port(), 0) << "no server on " << net << "1 (the invoker made no bridge?)";
    hearth::net::HttpClient client("127.0.0.1", platform.port());
    auto put = [&](const std::string& name, const json& exec) {
      return client.send({"PUT", "/api/v1/namespaces/_/actions/" + name, platform.auth(), json{{"exec", exec}}.dump()}).status;
    };
    const std::string url = server.url("/data?bytes=4096");
    const std::string reader = "def freshen(state):\n    FrFetch(" + std::to_string(c.hook_id) + ", '" + url + "', ttl=2)\n\n" +
                               "def main(a):\n    return {'bytes': len(FrFetch(0, '" + url + "', ttl=2))}\n";
    ASSERT_EQ(put("slow", {{"kind", "python:3"}, {"code", "import time\ndef main(a):\n    time.sleep(0.6)\n    return {}\n"}}), 200);
    ASSERT_EQ(put("reader", {{"kind", "python:3"}, {"code", reader}}), 200);
    ASSERT_EQ(put("chain", {{"kind", "sequence"}, {"components", {"/_/slow", "/_/reader"}}}), 200);
    auto post = [&] { return client.send({"POST", "/api/v1/namespaces/_/actions/chain?blocking=true", platform.auth(), "{}"}); };
    auto r = post();  // both cold: nothing to freshen yet; the reader fetches itself
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["response"]["result"]["bytes"], 4096);
    EXPECT_EQ(server.requests(), 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(2300));  // the cached data expires
    r = post();
    ASSERT_EQ(r.status, 200) << r.body;
    const json seq = json::parse(r.body);
    EXPECT_EQ(seq["response"]["result"]["bytes"], 4096);
    // One fetch for the second sequence: the hook's (on) or the invocation's own (off); two when the hook
    // does not share its work (the probe).
    EXPECT_EQ(server.requests(), on && !shared ? 3 : 2);
    json record;
    for (int i = 0; i < 500 && record.is_null(); ++i) {  // the record is written after the answer
      const auto got = client.send({"GET", "/api/v1/namespaces/_/activations/" + seq["logs"][1].get<std::string>(), platform.auth(), ""});
      if (got.status == 200) record = json::parse(got.body);
      else std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_FALSE(record.is_null());
    EXPECT_EQ(record["hearth"]["start_kind"], "warm") << record.dump();
    const json fr = annotation(record, "freshen");
    if (on && !shared) {
      EXPECT_EQ(fr["trigger"], "chain") << record.dump();
      EXPECT_EQ(fr.value("hook_fetches", 0), 1) << fr.dump();
      EXPECT_EQ(fr.value("misses", 0), 1) << fr.dump();
    } else if (on) {
      EXPECT_EQ(fr["trigger"], "chain") << record.dump();
      EXPECT_EQ(fr.value("hits", 0) + fr.value("waits", 0), 1) << fr.dump();
      EXPECT_EQ(fr.value("hook_fetches", 0), 1) << fr.dump();
      EXPECT_FALSE(fr.contains("misses")) << "the invocation fetched although the hook had: " << fr.dump();
    } else {
      EXPECT_EQ(fr.value("misses", 0), 1) << fr.dump();
      EXPECT_FALSE(fr.contains("trigger")) << fr.dump();
    }
    EXPECT_TRUE(platform.stop_within(std::chrono::seconds(20)));
  }
}

}  // namespace
