// End-to-end: live snapshot-and-release through `hearth up --keepalive snapshot-and-release:idle=2s
// --snapshots faasnap` (one invoker process, sandboxed as root; docs/faasnap.md, "Live snapshot-and-
// release"). A Python function whose initialisation sleeps 1.5 s (so its measured cold start is longer
// than the policy's restore model, 475 ms + 128 MB / 360 MB/s) runs once; idle past `idle`, its
// container is released — gone from the pool, its memory freed, a release counted and the snapshot's
// bytes on disk in /metrics — and the next invocation restores (start kind `snapshot`) and answers from
// the initialised runtime. The probe: under `ttl` the same container, idle as long, is still held.
// Skipped (saying why) without root or runsc.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_client.h"
#include "snapshot/runsc_container.h"
#include "tests/e2e/platform.h"
#include "tests/e2e/run_hearth.h"
#include "tests/trace/temp_dir.h"

namespace {

using nlohmann::json;
using hearth::net::HttpClient;
using hearth::testing::Platform;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kCode = R"(import time
time.sleep(1.5)
TABLE = [i * i for i in range(1000)]
calls = 0
def main(a):
    global calls
    calls += 1
    return {"greeting": "Hello, " + a.get("name", "?"), "calls": calls, "sum": sum(TABLE[:10])}
)";

constexpr const char* kFlags = "--prewarm none --zygotes off --snapshots faasnap";

// The value of the first /metrics line starting with `prefix` (a metric name with its labels), or -1.
double metric(const std::string& metrics, const std::string& prefix) {
  std::size_t at = 0;
  while ((at = metrics.find(prefix, at)) != std::string::npos) {
    if (at == 0 || metrics[at - 1] == '\n') {
      const std::size_t space = metrics.find(' ', at + prefix.size());
      const std::size_t end = metrics.find('\n', space);
      return std::stod(metrics.substr(space + 1, end - space - 1));
    }
    at += prefix.size();
  }
  return -1;
}

class SnapshotRelease : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "runsc and cgroups need root";
    if (!hearth::snapshot::find_runsc()) GTEST_SKIP() << "runsc (gVisor) is not installed: scripts/setup installs it";
  }
  // Deploys the function and runs it once (a plain cold start); the record.
  static json deploy_and_run(HttpClient& client, const Platform& platform) {
    const auto put = client.send({"PUT", "/api/v1/namespaces/_/actions/slow", platform.auth(),
                                  json{{"exec", {{"kind", "python:3"}, {"code", kCode}}}, {"limits", {{"memory", 128}}}}.dump()});
    EXPECT_EQ(put.status, 200) << put.body;
    const json first = invoke(client, platform, "cold");
    EXPECT_EQ(first["response"]["status"], "success") << first.dump();
    EXPECT_EQ(first["hearth"]["start_kind"], "cold");
    return first;
  }
  static json invoke(HttpClient& client, const Platform& platform, const std::string& name) {
    const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/slow?blocking=true", platform.auth(),
                                json{{"name", name}}.dump()});
    return json::parse(r.body);
  }
  static std::string metrics(HttpClient& client, const Platform& platform) {
    return client.send({"GET", "/metrics", platform.auth(), ""}).body;
  }
};

// The probe: without snapshot-and-release the container idle for 5 s is still there, holding its memory.
TEST_F(SnapshotRelease, UnderTtlTheIdleContainerIsStillHeld) {
  hearth::testing::TempDir dir;
  Platform platform(dir.str(), std::string(kFlags) + " --keepalive ttl:10m");
  HttpClient client("127.0.0.1", platform.port());
  ASSERT_EQ(deploy_and_run(client, platform)["response"]["status"], "success");
  std::this_thread::sleep_for(std::chrono::seconds(5));
  const std::string m = metrics(client, platform);
  EXPECT_EQ(metric(m, "hearth_containers{invoker=\"invoker0\",state=\"idle\"}"), 1) << m;
  EXPECT_EQ(metric(m, "hearth_invoker_idle_memory_mb{invoker=\"invoker0\"}"), 128) << m;
  EXPECT_EQ(metric(m, "hearth_snapshot_releases_total{invoker=\"invoker0\"}"), 0) << m;
  const json again = invoke(client, platform, "warm");
  EXPECT_EQ(again["hearth"]["start_kind"], "warm") << again.dump();
}

TEST_F(SnapshotRelease, AnIdleContainerIsReleasedAndItsNextStartRestores) {
  hearth::testing::TempDir dir;
  {
    Platform platform(dir.str(), std::string(kFlags) + " --keepalive snapshot-and-release:idle=2s");
    HttpClient client("127.0.0.1", platform.port());
    const json first = deploy_and_run(client, platform);
    ASSERT_EQ(first["response"]["status"], "success");
    EXPECT_GE(first["hearth"]["init_us"].get<long>(), 1'500'000) << "the module sleeps 1.5 s";
    // Released: the pool holds no container of it and no idle memory; its snapshot is on disk.
    std::string m;
    const auto deadline = Clock::now() + std::chrono::seconds(120);
    bool released = false;
    while (Clock::now() < deadline && !released) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      m = metrics(client, platform);
      released = metric(m, "hearth_snapshot_releases_total{invoker=\"invoker0\"}") == 1 &&
                 metric(m, "hearth_snapshot_bytes{invoker=\"invoker0\"}") > 0;
    }
    ASSERT_TRUE(released) << "no release with its snapshot on disk within 120 s:\n" << m;
    EXPECT_EQ(metric(m, "hearth_containers{invoker=\"invoker0\",state=\"idle\"}"), 0) << m;
    EXPECT_EQ(metric(m, "hearth_invoker_idle_memory_mb{invoker=\"invoker0\"}"), 0) << m;
    EXPECT_EQ(metric(m, "hearth_invoker_memory_used_mb{invoker=\"invoker0\"}"), 0) << m;
    // The next start restores, from the initialised runtime (module ran once, before the checkpoint).
    const json restored = invoke(client, platform, "snapshot");
    ASSERT_EQ(restored["response"]["status"], "success") << restored.dump();
    EXPECT_EQ(restored["hearth"]["start_kind"], "snapshot") << restored.dump();
    EXPECT_EQ(restored["response"]["result"]["greeting"], "Hello, snapshot");
    EXPECT_EQ(restored["response"]["result"]["calls"], 1) << "a restore starts from the initialised runtime";
    EXPECT_EQ(restored["response"]["result"]["sum"], 285);
    m = metrics(client, platform);
    EXPECT_EQ(metric(m, "hearth_starts_total{kind=\"snapshot\"}"), 1) << m;
    // Warm again after the restore: the restored container stays idle, then is released again.
    const json warm = invoke(client, platform, "warm");
    EXPECT_EQ(warm["hearth"]["start_kind"], "warm") << warm.dump();
    EXPECT_EQ(warm["response"]["result"]["calls"], 2);
  }
  for (const auto& entry : fs::recursive_directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().filename().string().rfind("hearth-snapshots-", 0), std::string::npos) << entry.path();
}

TEST(SnapshotReleaseFlags, SnapshotAndReleaseWithoutSnapshotsIsRefused) {
  hearth::testing::TempDir dir;
  const hearth::testing::CliRun r =
      hearth::testing::hearth("up --port 0 --data-dir " + dir.str() + " --keepalive snapshot-and-release");
  EXPECT_NE(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("--keepalive snapshot-and-release releases idle containers into function snapshots: it needs "
                       "--snapshots vanilla, reap or faasnap"),
            std::string::npos)
      << r.out;
}

}  // namespace
