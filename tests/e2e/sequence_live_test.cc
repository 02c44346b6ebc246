// End-to-end: OpenWhisk sequences and freshen along them through a real `hearth up` (127.0.0.1, one
// invoker process, sandboxed functions as root), with the REST calls OpenWhisk's clients make.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_client.h"
#include "tests/e2e/platform.h"
#include "tests/trace/temp_dir.h"

namespace {

using nlohmann::json;
using hearth::net::HttpClient;
using hearth::testing::Platform;

struct Live {
  hearth::testing::TempDir dir;
  std::unique_ptr<Platform> platform;
  std::unique_ptr<HttpClient> client;
  explicit Live(const std::string& flags) {
    platform = std::make_unique<Platform>(dir.str() + "/data", "--invokers 1 --prewarm none " + flags);
    client = std::make_unique<HttpClient>("127.0.0.1", platform->port());
  }
  hearth::net::HttpResponse put(const std::string& name, const json& exec) {
    return client->send({"PUT", "/api/v1/namespaces/_/actions/" + name, platform->auth(), json{{"exec", exec}}.dump()});
  }
  hearth::net::HttpResponse post(const std::string& name, const json& params, const std::string& query = "?blocking=true") {
    return client->send({"POST", "/api/v1/namespaces/_/actions/" + name + query, platform->auth(), params.dump()});
  }
  json activation(const std::string& id) {
    for (int i = 0; i < 500; ++i) {  // at most 10 s: the record is written after the answer
      const auto r = client->send({"GET", "/api/v1/namespaces/_/activations/" + id, platform->auth(), ""});
      if (r.status == 200) return json::parse(r.body);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return json();
  }
};

json annotation(const json& activation, const std::string& key) {
  for (const json& a : activation["annotations"])
    if (a["key"] == key) return a["value"];
  return nullptr;
}

TEST(SequenceLive, CreateInvokeAndRecordsThroughHearthUp) {
  Live live("");
  ASSERT_NE(live.platform->port(), 0);
  ASSERT_EQ(live.put("inc", {{"kind", "python:3"}, {"code", "def main(a):\n    return {'n': a['n'] + 1}\n"}}).status, 200);
  ASSERT_EQ(live.put("dbl", {{"kind", "nodejs:20"}, {"code", "function main(a) { return { n: a.n * 2 }; }"}}).status, 200);
  ASSERT_EQ(live.put("boom", {{"kind", "python:3"}, {"code", "def main(a):\n    raise ValueError('boom')\n"}}).status, 200);
  auto r = live.put("incdbl", {{"kind", "sequence"}, {"components", {"/_/inc", "/_/dbl"}}});
  ASSERT_EQ(r.status, 200) << r.body;

  r = live.post("incdbl", {{"n", 20}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json seq = json::parse(r.body);
  EXPECT_EQ(seq["response"]["result"]["n"], 42);
  ASSERT_EQ(seq["logs"].size(), 2u);
  EXPECT_EQ(annotation(seq, "kind"), "sequence");
  EXPECT_EQ(annotation(seq, "topmost"), true);
  const json first = live.activation(seq["logs"][0]);
  EXPECT_EQ(first["name"], "inc");
  EXPECT_EQ(first["cause"], seq["activationId"]);
  EXPECT_EQ(first["response"]["result"]["n"], 21);
  EXPECT_EQ(live.activation(seq["logs"][1])["name"], "dbl");

  // Non-blocking: the sequence's own activation id, its record once it ends.
  r = live.post("incdbl", {{"n", 1}}, "");
  ASSERT_EQ(r.status, 202);
  const json later = live.activation(json::parse(r.body)["activationId"]);
  EXPECT_EQ(later["response"]["result"]["n"], 4);

  // A failing component ends the sequence with its response; the one after it never runs.
  ASSERT_EQ(live.put("incboomdbl", {{"kind", "sequence"}, {"components", {"/_/inc", "/_/boom", "/_/dbl"}}}).status, 200);
  r = live.post("incboomdbl", {{"n", 1}});
  EXPECT_EQ(r.status, 502);
  const json failed = json::parse(r.body);
  EXPECT_EQ(failed["response"]["status"], "application error");
  EXPECT_NE(failed["response"]["result"]["error"].get<std::string>().find("boom"), std::string::npos);
  EXPECT_EQ(failed["logs"].size(), 2u);

  // Rejected: an unknown component, a cycle.
  r = live.put("bad", {{"kind", "sequence"}, {"components", {"/_/inc", "/_/nope"}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"], "Sequence component does not exist.");
  r = live.put("incdbl", {{"kind", "sequence"}, {"components", {"/_/incdbl"}}});
  EXPECT_EQ(r.status, 400);  // checked before the conflict with the existing action, as OpenWhisk does
  EXPECT_EQ(json::parse(r.body)["error"], "Sequence may not refer to itself.");
  r = live.client->send({"PUT", "/api/v1/namespaces/_/actions/incdbl?overwrite=true", live.platform->auth(),
                         json{{"exec", {{"kind", "sequence"}, {"components", {"/_/inc", "/_/incdbl"}}}}}.dump()});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"], "Sequence may not refer to itself.");
}

// The second component's hook does 300 ms of "fetch" work (counted in the container) under fr_state id
// 0 with a 2 s TTL; the first component takes 600 ms. With --freshen on the hook runs while the first
// component does, so the second finds the work done: one piece of work for hook and invocation together
// (the counter says 2 after two sequences: the first run's own, the hook's), a hit, trigger "chain".
// With --freshen off (the same probe without the hook) the second run repeats the work itself: a miss.
TEST(SequenceLive, FreshenAlongTheChainRunsTheNextHookOnceAndIsRecorded) {
  const std::string second =
      "import time\n"
      "CALLS = [0]\n"
      "def work():\n    CALLS[0] += 1\n    time.sleep(0.3)\n    return b'data'\n\n"
      "def freshen(state):\n    FrFetch(0, work, ttl=2)\n\n"
      "def main(a):\n    d = FrFetch(0, work, ttl=2)\n    return {'calls': CALLS[0], 'bytes': len(d)}\n";
  for (const bool on : {false, true}) {
    Live live(on ? "--freshen on" : "--freshen off");
    ASSERT_NE(live.platform->port(), 0);
    ASSERT_EQ(live.put("slow", {{"kind", "python:3"}, {"code", "import time\ndef main(a):\n    time.sleep(0.6)\n    return a\n"}}).status, 200);
    ASSERT_EQ(live.put("reader", {{"kind", "python:3"}, {"code", second}}).status, 200);
    ASSERT_EQ(live.put("chain", {{"kind", "sequence"}, {"components", {"/_/slow", "/_/reader"}}}).status, 200);
    ASSERT_EQ(live.post("chain", json::object()).status, 200);  // both start cold: nothing to freshen yet
    std::this_thread::sleep_for(std::chrono::milliseconds(2300));  // the first run's cached data expires
    const auto r = live.post("chain", json::object());
    ASSERT_EQ(r.status, 200) << r.body;
    const json seq = json::parse(r.body);
    const json reader = live.activation(seq["logs"][1]);
    EXPECT_EQ(reader["hearth"]["start_kind"], "warm") << reader.dump();
    const json fr = annotation(reader, "freshen");
    if (on) {
      EXPECT_EQ(fr["trigger"], "chain") << reader.dump();
      EXPECT_EQ(fr["hits"].get<int>() + fr.value("waits", 0), 1) << fr.dump();
      EXPECT_FALSE(fr.contains("misses")) << fr.dump();
      EXPECT_EQ(seq["response"]["result"]["calls"], 2) << "the hook's work was not repeated by the invocation";
      EXPECT_LT(reader["hearth"]["run_us"].get<long>(), 250'000) << "the 300 ms of work were done before the run";
    } else {
      EXPECT_FALSE(fr.contains("trigger")) << fr.dump();
      EXPECT_EQ(fr["misses"], 1) << fr.dump();
      EXPECT_EQ(seq["response"]["result"]["calls"], 2);
      EXPECT_GE(reader["hearth"]["run_us"].get<long>(), 300'000);
    }
  }
}

}  // namespace
