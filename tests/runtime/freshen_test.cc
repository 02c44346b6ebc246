// freshen's hook API in the Python and Node.js runtimes (runtime/*/hearth_freshen.*, docs/freshen.md):
// the "freshen" message, FrFetch/FrWarm sharing work with the hook through fr_state (counted at a real
// HTTP server on 127.0.0.1), TTLs, and the hook's bounded time.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "net/http_client.h"
#include "runtime/runtime_process.h"
#include "tests/net/counting_server.h"

namespace hearth::runtime {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

using hearth::testing::CountingServer;

struct FreshenFixture : ::testing::Test {
  CountingServer server;
  void SetUp() override { ASSERT_NE(server.port(), 0) << "the test server did not start"; }
  static std::unique_ptr<RuntimeProcess> start(Language language, const std::string& source) {
    auto p = std::make_unique<RuntimeProcess>(language);
    const auto init = p->init_source(source, "main", 5000);
    EXPECT_TRUE(init.ok) << init.error;
    return p;
  }
};

std::string python_fetcher(const std::string& url) {
  return "def freshen(state):\n    FrFetch(0, '" + url + "')\n\n"
         "def main(args):\n    return {'n': len(FrFetch(0, '" + url + "'))}\n";
}
std::string node_fetcher(const std::string& url) {
  return "function freshen(state) { return FrFetch(0, '" + url + "'); }\n"
         "async function main(args) { return { n: (await FrFetch(0, '" + url + "')).length }; }\n";
}

// The probe without the protection: a hook and a function that fetch without fr_state fetch twice.
TEST_F(FreshenFixture, WithoutFrStateTheHookAndTheInvocationFetchTwice) {
  const std::string url = server.url("/slow?ms=300");
  auto p = start(Language::kPython,
                 "import urllib.request\n"
                 "def freshen(state):\n    urllib.request.urlopen('" + url + "').read()\n\n"
                 "def main(args):\n    return {'n': len(urllib.request.urlopen('" + url + "').read())}\n");
  ASSERT_TRUE(p->freshen(2000, 5000).ok);
  ASSERT_TRUE(p->run("{}", 5000).ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the hook's fetch ends too
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(FreshenFixture, AnInvocationDuringTheHookWaitsForItsFetchInPythonAndNode) {
  const std::string url = server.url("/slow?ms=300");
  int expected = 0;
  for (const Language language : {Language::kPython, Language::kNodejs}) {
    auto p = start(language, language == Language::kPython ? python_fetcher(url) : node_fetcher(url));
    ASSERT_TRUE(p->freshen(2000, 5000).ok);
    const auto first = p->run("{}", 5000);  // arrives while the hook's fetch is on the wire
    ASSERT_TRUE(first.ok) << first.error;
    EXPECT_EQ(json::parse(first.result_json)["n"], 4);
    const json report = json::parse(first.freshen_json);
    EXPECT_EQ(report["waits"], 1) << report.dump();
    EXPECT_EQ(report["hook_fetches"], 1) << report.dump();
    EXPECT_FALSE(report.contains("misses")) << report.dump();
    const auto second = p->run("{}", 5000);  // within the TTL: the cached bytes
    ASSERT_TRUE(second.ok);
    EXPECT_EQ(json::parse(second.freshen_json)["hits"], 1);
    EXPECT_EQ(server.requests(), ++expected) << "one fetch for the hook and both invocations";
  }
}

TEST_F(FreshenFixture, AHookThatRanEarlierServesTheInvocationFromItsCache) {
  const std::string url = server.url("/data?bytes=100000");
  auto p = start(Language::kPython, python_fetcher(url));
  ASSERT_TRUE(p->freshen(2000, 5000).ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto r = p->run("{}", 5000);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(json::parse(r.result_json)["n"], 100000);
  const json report = json::parse(r.freshen_json);
  EXPECT_EQ(report["hits"], 1) << report.dump();
  EXPECT_TRUE(report.contains("hook")) << report.dump();
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(FreshenFixture, AnExpiredEntryIsFetchedAgain) {
  const std::string url = server.url("/data?bytes=10");
  auto p = start(Language::kPython, "def main(args):\n    return {'n': len(FrFetch('x', '" + url + "', ttl=0.2))}\n");
  ASSERT_TRUE(p->run("{}", 5000).ok);
  ASSERT_TRUE(p->run("{}", 5000).ok);
  EXPECT_EQ(server.requests(), 1);  // the second within the TTL
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(p->run("{}", 5000).ok);
  EXPECT_EQ(server.requests(), 2);
}

TEST_F(FreshenFixture, AHookIsBoundedByItsTimeLimit) {
  for (const Language language : {Language::kPython, Language::kNodejs}) {
    // The hook holds id 0 for 5 s; the invocation waits for it only until the hook's 300 ms are up.
    auto p = start(language, language == Language::kPython
                                 ? "import time\n"
                                   "def freshen(state):\n    FrFetch(0, lambda: time.sleep(5) or b'hook')\n\n"
                                   "def main(args):\n    return {'v': FrFetch(0, lambda: b'own').decode()}\n"
                                 : "function freshen(s) { return FrFetch(0, () => new Promise((r) => setTimeout(() => r(Buffer.from('hook')), 5000))); }\n"
                                   "async function main(a) { return { v: (await FrFetch(0, async () => Buffer.from('own'))).toString() }; }\n");
    ASSERT_TRUE(p->freshen(300, 5000).ok);
    const auto t0 = Clock::now();
    const auto r = p->run("{}", 5000);
    const auto took = Clock::now() - t0;
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(json::parse(r.result_json)["v"], "own");
    EXPECT_LT(took, std::chrono::milliseconds(1500));
    EXPECT_GE(took, std::chrono::milliseconds(250));
    EXPECT_EQ(json::parse(r.freshen_json)["misses"], 1) << r.freshen_json;
    // While that hook still runs, another is refused rather than stacked.
    const auto again = p->freshen(300, 5000);
    EXPECT_FALSE(again.ok);
    EXPECT_NE(again.error.find("still running"), std::string::npos) << again.error;
  }
  // A hook's network fetch gets only the hook's remaining time: a 5 s response ends it at its limit.
  auto p = start(Language::kPython, python_fetcher(server.url("/slow?ms=5000")));
  ASSERT_TRUE(p->freshen(300, 5000).ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  const auto r = p->run("{}", 10000);  // reports the hook, which had ended with a timeout
  ASSERT_TRUE(r.ok) << r.error;
  const json hook = json::parse(r.freshen_json)["hook"];
  EXPECT_LT(hook["ms"].get<double>(), 1000) << hook.dump();
  EXPECT_NE(hook.value("error", "").find("timed out"), std::string::npos) << hook.dump();
}

TEST_F(FreshenFixture, BadFreshenRequestsAreRefusedWithReasons) {
  RuntimeProcess fresh(Language::kPython);
  auto r = fresh.freshen(100, 5000);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("before a successful init"), std::string::npos) << r.error;
  for (const Language language : {Language::kPython, Language::kNodejs}) {
    auto p = start(language, language == Language::kPython ? "def main(a):\n    return a\n" : "function main(a) { return a; }");
    r = p->freshen(100, 5000);
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("no freshen hook"), std::string::npos) << r.error;
    for (const std::int64_t bad : {0LL, -1LL, 30001LL}) {
      r = p->freshen(bad, 5000);
      EXPECT_FALSE(r.ok);
      EXPECT_NE(r.error.find("timeout_ms"), std::string::npos) << r.error;
    }
    EXPECT_FALSE(p->broken());
    EXPECT_TRUE(p->run("{}", 5000).ok);
  }
}

}  // namespace
}  // namespace hearth::runtime
