// End-to-end: code scaling (Scorpius Eq. 8) live through `hearth up --code-scaling` (default: one invoker
// process, sandboxed): three overlapping invocations of one function arriving 300 ms apart. On demand
// (`none`) each finds every container of the function busy and starts one (a cold start, from the zygote);
// `fixed` (0.7) prepares the next container as soon as usage reaches 0.7 of the held ones, so the second
// and third find a prepared one (start kind warm); `scorpius` starts from the on-demand thresholds, judges
// the second's cold start late, lowers the thresholds and prepares ahead for the third.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_client.h"
#include "tests/e2e/platform.h"
#include "tests/e2e/run_hearth.h"
#include "tests/trace/temp_dir.h"

namespace {

using nlohmann::json;
using hearth::net::HttpClient;
using hearth::testing::Platform;

// The start kinds of three invocations of a 1.5 s function, started 300 ms apart, in arrival order.
std::vector<std::string> ramp(Platform& platform) {
  HttpClient client("127.0.0.1", platform.port());
  const auto put = client.send({"PUT", "/api/v1/namespaces/_/actions/slow", platform.auth(),
                                json{{"exec", {{"kind", "python:3"}, {"code", "import time\ndef main(a):\n    time.sleep(1.5)\n    return {'i': a['i']}\n"}}},
                                     {"limits", {{"memory", 128}}}}.dump()});
  EXPECT_EQ(put.status, 200) << put.body;
  std::vector<std::string> kinds(3);
  std::vector<std::thread> callers;
  for (int i = 0; i < 3; ++i) {
    callers.emplace_back([&, i] {
      HttpClient c("127.0.0.1", platform.port());
      const auto r = c.send({"POST", "/api/v1/namespaces/_/actions/slow?blocking=true", platform.auth(), json{{"i", i}}.dump()});
      const json body = json::parse(r.body, nullptr, false);
      EXPECT_EQ(body["response"]["result"]["i"], i) << r.body;
      kinds[static_cast<std::size_t>(i)] = body["hearth"]["start_kind"].is_string() ? body["hearth"]["start_kind"].get<std::string>() : r.body;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  for (std::thread& t : callers) t.join();
  return kinds;
}

TEST(CodeScalingLive, APreparedCodeIsUsedWhenUsageCrossesAThresholdAndOnDemandPreparesNone) {
  if (geteuid() != 0) GTEST_SKIP() << "hearth up sandboxes functions with cgroups only as root";
  hearth::testing::TempDir dir;
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"none", {"zygote", "zygote", "zygote"}},
      {"fixed", {"zygote", "warm", "warm"}},
      {"scorpius", {"zygote", "zygote", "warm"}},
  };
  for (const auto& [mode, expected] : cases) {
    Platform platform(dir.str() + "/" + mode, "--prewarm none --code-scaling " + mode);
    EXPECT_EQ(ramp(platform), expected) << "--code-scaling " << mode;
  }
}

TEST(CodeScalingLive, BadSpecIsRefusedNamingTheFlag) {
  hearth::testing::TempDir dir;
  const hearth::testing::CliRun r = hearth::testing::hearth("up --port 0 --data-dir " + dir.str() + " --code-scaling fixed:3");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("--code-scaling"), std::string::npos) << r.out;
}

}  // namespace
