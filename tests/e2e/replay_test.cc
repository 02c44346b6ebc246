// End-to-end: `hearth replay` of a tiny embedded Azure 2021 trace against a real `hearth up` on 127.0.0.1.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/e2e/platform.h"
#include "tests/e2e/run_hearth.h"
#include "tests/trace/temp_dir.h"

namespace {

using hearth::testing::CliRun;
using hearth::testing::hearth;
using hearth::testing::json_of;
using hearth::testing::Platform;
using hearth::testing::TempDir;
using nlohmann::json;

// 20 invocations of three functions over 4.1 s (app,func,end,duration in seconds; start = end − duration).
// Each function's first invocation is at 0–0.2 s and its next ones 1.3 s later and then every 0.45 s or
// more, far longer than any run (20–100 ms): each function has one cold start, the rest are warm.
std::string tiny_trace() {
  std::ostringstream t;
  t << "app,func,end_timestamp,duration\n";
  struct Row { double start; const char* func; double duration; };
  std::vector<Row> rows = {{0.0, "f0", 0.05}, {0.1, "f1", 0.1}, {0.2, "f2", 0.02}};
  for (int i = 0; i < 6; ++i) rows.push_back({1.5 + 0.45 * i, "f0", 0.05});
  for (int i = 0; i < 6; ++i) rows.push_back({1.6 + 0.45 * i, "f1", 0.1});
  for (int i = 0; i < 5; ++i) rows.push_back({1.7 + 0.5 * i, "f2", 0.02});
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.start + a.duration < b.start + b.duration; });
  for (const Row& r : rows) t << "app," << r.func << ',' << r.start + r.duration << ',' << r.duration << '\n';
  return t.str();
}

std::size_t lines(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

TEST(ReplayE2E, TinyTraceAgainstHearthUp) {
  TempDir dir;
  dir.write("trace.csv", tiny_trace());
  Platform platform(dir.str() + "/data", "--prewarm none");
  ASSERT_NE(platform.port(), 0);
  const std::string out = dir.str() + "/out";
  const CliRun r = hearth("replay --trace " + dir.str() + "/trace.csv --format azure2021 --memory-scale 0.25 --apihost 127.0.0.1:" +
                          std::to_string(platform.port()) + " --auth " + platform.auth_pair() + " --keep-actions --json --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json j = json_of(r);
  EXPECT_EQ(j["invocations"], 20);
  EXPECT_EQ(j["completed"], 20);
  EXPECT_EQ(j["dropped"], 0);
  EXPECT_EQ(j["replay"]["planned"], 20);
  EXPECT_EQ(j["replay"]["functions"], 3);
  EXPECT_EQ(j["replay"]["unsent"], 0);
  EXPECT_EQ(j["replay"]["failed"], 0);
  EXPECT_EQ(j["replay"]["unsuccessful"], 0);
  // One cold start per function (no prewarming), every other invocation warm.
  EXPECT_EQ(j["cold_starts"], 3) << r.out;
  EXPECT_EQ(j["warm_starts"], 17);
  EXPECT_EQ(j["prewarm_starts"], 0);
  EXPECT_EQ(j["replay"]["measured_costs"]["cold_samples"], 3);
  // The platform's own activation records agree, and each ran about its trace duration.
  hearth::net::HttpClient client("127.0.0.1", platform.port());
  const auto list = client.send({"GET", "/api/v1/namespaces/_/activations?limit=200", platform.auth(), ""});
  ASSERT_EQ(list.status, 200);
  std::map<std::string, int> kinds;
  std::map<std::string, int> per_action;
  const std::map<std::string, long> asked_us = {{"replay-0", 50'000}, {"replay-1", 100'000}, {"replay-2", 20'000}};
  for (const json& a : json::parse(list.body)) {
    ++kinds[a["hearth"]["start_kind"].get<std::string>()];
    const std::string name = a["name"].get<std::string>();
    ++per_action[name];
    EXPECT_TRUE(a["response"]["success"].get<bool>()) << a.dump();
    // The body holds 64 − 16 MB (--headroom-mb) and runs for the asked time once it holds it.
    const json& result = a["response"]["result"];
    EXPECT_EQ(result["mb"], 48) << a.dump();
    const long run_us = a["hearth"]["run_us"].get<long>() - result["hold_us"].get<long>();
    EXPECT_GE(run_us, asked_us.at(name)) << a.dump();
    EXPECT_LT(run_us, asked_us.at(name) + 100'000) << a.dump();  // generous: a loaded 2-core machine
  }
  EXPECT_EQ(kinds["cold"], 3);
  EXPECT_EQ(kinds["warm"], 17);
  EXPECT_EQ(per_action, (std::map<std::string, int>{{"replay-0", 7}, {"replay-1", 7}, {"replay-2", 6}}));
  // Memory: 256 MB (Azure 2021 has none: the reader's default) × 0.25.
  const auto action = client.send({"GET", "/api/v1/namespaces/_/actions/replay-0", platform.auth(), ""});
  EXPECT_EQ(json::parse(action.body)["limits"]["memory"], 64);
  // The same CSV files as hearth sim, plus one row per invocation.
  for (const char* file : {"summary.csv", "latency_cdf.csv", "start_latency_cdf.csv", "throughput.csv", "series.csv"})
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(out) / file)) << file;
  EXPECT_EQ(lines(std::filesystem::path(out) / "invocations.csv"), 21u);
  EXPECT_EQ(lines(std::filesystem::path(out) / "summary.csv"), 2u);
}

// The in-flight bound: three invocations due within 20 ms, each running 300 ms. With room for three all
// are sent; with room for one, the two due while it runs are not sent, and are counted, not queued.
TEST(ReplayE2E, InvocationsBeyondTheInFlightBoundAreCountedNotQueued) {
  TempDir dir;
  dir.write("trace.csv", "app,func,end_timestamp,duration\napp,f,0.3,0.3\napp,f,0.31,0.3\napp,f,0.32,0.3\n");
  Platform platform(dir.str() + "/data", "--prewarm none");
  ASSERT_NE(platform.port(), 0);
  const std::string base = "replay --trace " + dir.str() + "/trace.csv --format azure2021 --memory-scale 0.25 --json "
                           "--apihost 127.0.0.1:" + std::to_string(platform.port()) + " --auth " + platform.auth_pair();
  CliRun r = hearth(base + " --max-in-flight 3");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json j = json_of(r);
  EXPECT_EQ(j["replay"]["unsent"], 0);
  EXPECT_EQ(j["completed"], 3);
  r = hearth(base + " --max-in-flight 1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  j = json_of(r);
  EXPECT_EQ(j["replay"]["unsent"], 2);
  EXPECT_EQ(j["completed"], 1);
  EXPECT_EQ(j["invocations"], 3);
  EXPECT_EQ(j["dropped"], 2);
  EXPECT_EQ(j["dropped_by_reason"]["queue_full"], 2);
}

TEST(ReplayE2E, BadInputIsRefusedBeforeAnythingIsSent) {
  TempDir dir;
  dir.write("trace.csv", tiny_trace());
  // 256 MB × 20 = 5120 MB is over the platform's 2048 MB action limit (no platform needed: nothing is sent).
  CliRun r = hearth("replay --trace " + dir.str() + "/trace.csv --format azure2021 --memory-scale 20 --apihost 127.0.0.1:9 --auth a:b");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("needs 5120 MB"), std::string::npos) << r.out;
  r = hearth("replay --trace " + dir.str() + "/trace.csv --format azure2021 --apihost nohost --auth a:b");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--apihost must be HOST:PORT"), std::string::npos) << r.out;
  r = hearth("replay --trace " + dir.str() + "/trace.csv --format azure2021 --max-invocations 10 --apihost 127.0.0.1:9 --auth a:b");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("more than 10 invocations"), std::string::npos) << r.out;
  r = hearth("replay --trace " + dir.str() + "/trace.csv --format azure2021 --time-scale 0 --apihost 127.0.0.1:9 --auth a:b");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  // Runs the platform's time limits cannot hold: 100 ms × 3000 = 300 s; a time limit below a run.
  r = hearth("replay --trace " + dir.str() + "/trace.csv --format azure2021 --memory-scale 0.25 --time-scale 3000 "
             "--apihost 127.0.0.1:9 --auth a:b");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("function 'f1' runs up to 300000 ms"), std::string::npos) << r.out;
  r = hearth("replay --trace " + dir.str() + "/trace.csv --format azure2021 --memory-scale 0.25 --timeout-ms 100 "
             "--apihost 127.0.0.1:9 --auth a:b");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--timeout-ms 100 is not above the longest run of function 'f1' (100 ms)"), std::string::npos) << r.out;
  // A platform that is not there: a runtime failure naming the address.
  r = hearth("replay --trace " + dir.str() + "/trace.csv --format azure2021 --memory-scale 0.25 --apihost 127.0.0.1:9 --auth a:b");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("127.0.0.1:9"), std::string::npos) << r.out;
}

}  // namespace
