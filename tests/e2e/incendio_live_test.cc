// Incendio live (issue 12): the paper's five workloads (examples/incendio/) deployed with `hearth action
// create` and invoked once each through a real `hearth up`; and the request scheduler on the real platform:
// with an invoker full (one worker, busy), a low-priority invocation queued first and a high-priority one
// second, the incendio scheduler starts the high-priority one first, where fifo (today's path, the same
// probe) starts the low-priority one first.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "net/http_client.h"
#include "tests/e2e/platform.h"
#include "tests/e2e/run_hearth.h"
#include "tests/trace/temp_dir.h"

namespace {

using nlohmann::json;
using hearth::net::HttpClient;
using hearth::testing::Platform;

json invoke(std::uint16_t port, const std::string& auth, const std::string& name, const json& params) {
  HttpClient client("127.0.0.1", port);
  const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/" + name + "?blocking=true", auth, params.dump()});
  return r.body.empty() ? json{} : json::parse(r.body, nullptr, false);
}

// `hearth action create NAME FILE -m MEMORY` against `platform`; its exit code.
int create(const Platform& platform, const std::string& name, const std::string& file, int memory_mb) {
  const std::string args = "action create " + name + " " + file + " -m " + std::to_string(memory_mb) +
                           " --apihost 127.0.0.1:" + std::to_string(platform.port()) + " -u " + platform.auth_pair();
  return hearth::testing::hearth(args).exit_code;
}

const std::string kExamples = std::string(HEARTH_SOURCE_DIR) + "/examples/incendio/";

TEST(IncendioLive, TheFiveWorkloadsRunThroughThePlatform) {
  hearth::testing::TempDir dir;
  Platform platform(dir.str() + "/data", "--prewarm none");
  ASSERT_NE(platform.port(), 0);
  struct Workload {
    const char* name;
    const char* file;
    int memory_mb;
    json params;
  };
  const Workload workloads[] = {{"matmul", "matmul.py", 128, {{"n", 8}, {"seed", 3}}},
                                {"primes", "primes.py", 64, {{"limit", 1000}}},
                                {"request", "http_request.py", 32, {{"items", 5}}},
                                {"float", "float_ops.py", 64, {{"n", 1000}}},
                                {"cifar", "cifar.py", 128, {{"seed", 2}}}};
  for (const Workload& w : workloads) ASSERT_EQ(create(platform, w.name, kExamples + w.file, w.memory_mb), 0) << w.name;
  std::map<std::string, json> result;
  for (const Workload& w : workloads) {
    const json r = invoke(platform.port(), platform.auth(), w.name, w.params);
    ASSERT_EQ(r["response"]["status"], "success") << w.name << ": " << r.dump();
    result[w.name] = r["response"]["result"];
  }
  EXPECT_EQ(result["matmul"]["n"], 8);
  EXPECT_GT(result["matmul"]["trace"].get<double>(), 0.0);
  EXPECT_EQ(result["primes"]["count"], 168);  // primes below 1000
  EXPECT_EQ(result["primes"]["largest"], 997);
  EXPECT_EQ(result["request"]["status"], 201);
  EXPECT_EQ(result["request"]["body"]["accepted"], 5);
  EXPECT_EQ(result["float"]["n"], 1000);
  EXPECT_EQ(result["cifar"]["features"].size(), 8u);
  const auto& labels = {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  EXPECT_NE(std::find(labels.begin(), labels.end(), result["cifar"]["label"].get<std::string>()), labels.end());
}

// One invoker with one worker (concurrency 1): a holder runs for 1.2 s; meanwhile `low` is invoked, then
// `high`, 150 ms apart, so both wait in the invoker's queue. Both functions are 128 MB (the same size to the
// knapsack); `high` ran before for 300 ms and `low` for a few ms, so `high`'s Function Info Table row (Exec)
// gives it the higher priority. Returns (low, high) activations.
std::pair<json, json> low_then_high(const std::string& scheduler) {
  hearth::testing::TempDir dir;
  Platform platform(dir.str() + "/data", "--prewarm none --concurrency 1 --invoker-memory-mb 1024 --scheduler " + scheduler);
  EXPECT_NE(platform.port(), 0);
  const std::string sleeper = dir.str() + "/sleeper.py";
  {
    std::ofstream(sleeper) << "import time\n\ndef main(a):\n    time.sleep(a.get('ms', 0) / 1000.0)\n    return {'ok': True}\n";
  }
  for (const char* name : {"holder", "low", "high"}) EXPECT_EQ(create(platform, name, sleeper, 128), 0) << name;
  const std::string auth = platform.auth();
  const std::uint16_t port = platform.port();
  EXPECT_EQ(invoke(port, auth, "high", {{"ms", 300}})["response"]["status"], "success");  // the Exec it is known by
  EXPECT_EQ(invoke(port, auth, "low", {{"ms", 1}})["response"]["status"], "success");
  auto holder = std::async(std::launch::async, [&] { return invoke(port, auth, "holder", {{"ms", 1200}}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto low = std::async(std::launch::async, [&] { return invoke(port, auth, "low", {{"ms", 1}}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto high = std::async(std::launch::async, [&] { return invoke(port, auth, "high", {{"ms", 300}}); });
  EXPECT_EQ(holder.get()["response"]["status"], "success");
  json l = low.get(), h = high.get();
  EXPECT_EQ(l["response"]["status"], "success") << l.dump();
  EXPECT_EQ(h["response"]["status"], "success") << h.dump();
  return {l, h};
}

TEST(IncendioLive, FifoStartsTheQueuedLowPriorityInvocationFirst) {
  const auto [low, high] = low_then_high("fifo");
  EXPECT_LE(low["start"].get<long>(), high["start"].get<long>()) << low.dump() << "\n" << high.dump();
}

TEST(IncendioLive, TheIncendioSchedulerStartsTheHighPriorityInvocationFirst) {
  // The SLO guard (500 ms by default) would start both as urgent, oldest first, after the holder's 1.2 s:
  // a 30 s SLO keeps it out of this probe (tests/policy cover the guard).
  const auto [low, high] = low_then_high("incendio:slo=30s");
  EXPECT_GE(low["start"].get<long>(), high["start"].get<long>() + 250) << low.dump() << "\n" << high.dump();
}

// A bad spec is refused at start, naming the flag, before any invoker is spawned.
TEST(IncendioLive, BadSchedulerAndPoolManagerSpecsAreRefusedNamingTheFlag) {
  hearth::testing::TempDir dir;
  const auto bad_scheduler = hearth::testing::hearth("up --port 0 --data-dir " + dir.str() + "/a --scheduler knapsack");
  EXPECT_NE(bad_scheduler.exit_code, 0);
  EXPECT_NE(bad_scheduler.out.find("--scheduler: unknown scheduler policy 'knapsack'"), std::string::npos)
      << bad_scheduler.out;
  const auto bad_pool = hearth::testing::hearth("up --port 0 --data-dir " + dir.str() + "/b --pool-manager warmest");
  EXPECT_NE(bad_pool.exit_code, 0);
  EXPECT_NE(bad_pool.out.find("--pool-manager: unknown pool-manager policy 'warmest'"), std::string::npos) << bad_pool.out;
}

}  // namespace
