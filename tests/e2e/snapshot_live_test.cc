// End-to-end: function snapshots through `hearth up --snapshots faasnap` (one invoker process, sandboxed
// as root). A Python function's first invocation is a plain cold start; once its snapshot is made and its
// container has expired (--keepalive ttl:1s), the next invocation restores from the snapshot: start kind
// "snapshot" in the activation record and in /metrics, and the answer of a runtime whose module ran
// before the checkpoint. On shutdown the invoker's snapshot directory is gone. Skipped (saying why)
// without root or runsc.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_client.h"
#include "snapshot/runsc_container.h"
#include "tests/e2e/platform.h"
#include "tests/trace/temp_dir.h"

namespace {

using nlohmann::json;
using hearth::net::HttpClient;
using hearth::testing::Platform;
namespace fs = std::filesystem;

constexpr const char* kCode = R"(import time
TABLE = [i * i for i in range(100000)]
LOADED = time.time()
calls = 0
def main(a):
    global calls
    calls += 1
    return {"greeting": "Hello, " + a.get("name", "?"), "calls": calls, "sum": sum(TABLE[:10])}
)";

TEST(SnapshotLive, AColdStartAfterTheSnapshotRestoresThroughTheApi) {
  if (geteuid() != 0) GTEST_SKIP() << "runsc and cgroups need root";
  if (!hearth::snapshot::find_runsc()) GTEST_SKIP() << "runsc (gVisor) is not installed: scripts/setup installs it";
  hearth::testing::TempDir dir;
  {
    Platform platform(dir.str(), "--prewarm none --zygotes off --snapshots faasnap --keepalive ttl:1s");
    HttpClient client("127.0.0.1", platform.port());
    const auto put = client.send({"PUT", "/api/v1/namespaces/_/actions/hello", platform.auth(),
                                  json{{"exec", {{"kind", "python:3"}, {"code", kCode}}}, {"limits", {{"memory", 128}}}}.dump()});
    ASSERT_EQ(put.status, 200) << put.body;
    const auto invoke = [&](const std::string& name) {
      const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/hello?blocking=true", platform.auth(),
                                  json{{"name", name}}.dump()});
      return json::parse(r.body);
    };
    const json first = invoke("cold");
    ASSERT_EQ(first["response"]["status"], "success") << first.dump();
    EXPECT_EQ(first["hearth"]["start_kind"], "cold");
    // Each later invocation comes after the container expired: a cold start, plain until the snapshot is
    // ready, then restored.
    json restored;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2500));
      const json a = invoke("snapshot");
      ASSERT_EQ(a["response"]["status"], "success") << a.dump();
      EXPECT_NE(a["hearth"]["start_kind"], "warm") << "the container should have expired";
      if (a["hearth"]["start_kind"] == "snapshot") {
        restored = a;
        break;
      }
    }
    ASSERT_FALSE(restored.is_null()) << "no invocation restored from a snapshot within 120 s";
    EXPECT_EQ(restored["response"]["result"]["greeting"], "Hello, snapshot");
    EXPECT_EQ(restored["response"]["result"]["calls"], 1) << "a restore starts from the initialised runtime";
    EXPECT_EQ(restored["response"]["result"]["sum"], 285);
    EXPECT_GT(restored["hearth"]["init_us"].get<long>(), 0);
    const std::string id = restored["activationId"];
    const auto rec = client.send({"GET", "/api/v1/namespaces/_/activations/" + id, platform.auth(), ""});
    ASSERT_EQ(rec.status, 200);
    EXPECT_NE(rec.body.find("\"snapshot\""), std::string::npos) << rec.body;
    const auto metrics = client.send({"GET", "/metrics", platform.auth(), ""});
    EXPECT_NE(metrics.body.find("hearth_starts_total{kind=\"snapshot\"} 1"), std::string::npos) << metrics.body;
  }
  // Stopped: no snapshot directory left in any invoker's data directory.
  for (const auto& entry : fs::recursive_directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename().string().rfind("hearth-snapshots-", 0), std::string::npos) << entry.path();
}

}  // namespace
