// End-to-end: a Python function started from a zygote through `hearth up` (default: one invoker process,
// sandboxed as root): it answers through the API, its activation record says start kind "zygote", and
// /metrics counts it; with --zygotes off the same first invocation is a plain cold start.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "net/http_client.h"
#include "tests/e2e/platform.h"
#include "tests/trace/temp_dir.h"

namespace {

using nlohmann::json;
using hearth::net::HttpClient;
using hearth::testing::Platform;

struct ZygoteLive : ::testing::Test {
  hearth::testing::TempDir dir;
  json invoke(HttpClient& client, Platform& p, const std::string& name, const json& params) {
    const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/" + name + "?blocking=true", p.auth(), params.dump()});
    return json::parse(r.body);
  }
  void put(HttpClient& client, Platform& p, const std::string& name, const std::string& code) {
    const auto r = client.send({"PUT", "/api/v1/namespaces/_/actions/" + name, p.auth(),
                                json{{"exec", {{"kind", "python:3"}, {"code", code}}}, {"limits", {{"memory", 128}}}}.dump()});
    ASSERT_EQ(r.status, 200) << r.body;
  }
};

TEST_F(ZygoteLive, AFunctionStartedFromAZygoteAnswersThroughTheApi) {
  if (geteuid() != 0) GTEST_SKIP() << "hearth up sandboxes functions with cgroups only as root";
  const std::string code = "import os\ndef main(a):\n    return {'greeting': 'Hello, ' + a['name'], 'pid': os.getpid(), 'uid': os.getuid()}\n";
  for (const bool zygotes : {false, true}) {
    Platform platform(dir.str() + (zygotes ? "/on" : "/off"), std::string("--prewarm none --zygotes ") + (zygotes ? "on" : "off"));
    HttpClient client("127.0.0.1", platform.port());
    put(client, platform, "hello", code);
    const json first = invoke(client, platform, "hello", {{"name", "Hearth"}});
    ASSERT_EQ(first["response"]["status"], "success") << first.dump();
    EXPECT_EQ(first["response"]["result"]["greeting"], "Hello, Hearth");
    EXPECT_EQ(first["response"]["result"]["pid"], 1);  // its own PID namespace
    EXPECT_EQ(first["response"]["result"]["uid"], 65534);
    EXPECT_EQ(first["hearth"]["start_kind"], zygotes ? "zygote" : "cold") << first.dump();
    EXPECT_GT(first["hearth"]["init_us"].get<long>(), 0);
    // The activation record as stored says the same.
    const std::string id = first["activationId"];
    const auto rec = client.send({"GET", "/api/v1/namespaces/_/activations/" + id, platform.auth(), ""});
    ASSERT_EQ(rec.status, 200);
    EXPECT_NE(rec.body.find(zygotes ? "\"zygote\"" : "\"cold\""), std::string::npos) << rec.body;
    const json again = invoke(client, platform, "hello", {{"name", "again"}});
    EXPECT_EQ(again["response"]["result"]["greeting"], "Hello, again");
    EXPECT_EQ(again["hearth"]["start_kind"], "warm");
    const auto metrics = client.send({"GET", "/metrics", platform.auth(), ""});
    EXPECT_NE(metrics.body.find(std::string("hearth_starts_total{kind=\"zygote\"} ") + (zygotes ? "1" : "0")),
              std::string::npos)
        << metrics.body;
  }
}

}  // namespace
