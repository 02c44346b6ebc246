#include "live/api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hearth::live {
namespace {

using nlohmann::json;

// Echoes params as the result; a param "fail" gives an application error.
class EchoDispatcher final : public Dispatcher {
 public:
  void dispatch(InvocationRequest req, std::function<void(ActivationRecord)> done) override {
    ActivationRecord r;
    r.id = req.activation_id;
    r.ns = req.action.ns;
    r.action = req.action.name;
    r.start_us = req.arrival_us;
    r.end_us = req.arrival_us + 1500;
    r.run_us = 1000;
    r.start_kind = "cold";
    const json params = json::parse(req.params_json);
    r.status = params.contains("fail") ? "application error" : "success";
    r.result_json = params.contains("fail") ? json{{"error", "boom"}}.dump() : req.params_json;
    r.logs = {"stdout: hi"};
    ++calls;
    done(r);
  }
  int calls = 0;
};

// "Basic " + base64("uuid:key")
const std::string kAuth = "Basic dXVpZDprZXk=";        // uuid:key
const std::string kOtherAuth = "Basic b3RoZXI6czNjcjN0";  // other:s3cr3t

struct ApiFixture : ::testing::Test {
  Store store{":memory:"};
  EchoDispatcher dispatcher;
  Api api{store, dispatcher, ApiConfig{.max_payload_bytes = 100}};
  ApiFixture() {
    store.put_namespace("guest", "uuid", "key");
    store.put_namespace("other", "other", "s3cr3t");
  }
  HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& auth = kAuth) {
    return api.handle(HttpRequest{method, target, auth, body});
  }
  void create_hello() {
    ASSERT_EQ(call("PUT", "/api/v1/namespaces/_/actions/hello",
                   R"({"exec":{"kind":"python:3","code":"def main(a): return a"},"limits":{"memory":128}})")
                  .status,
              200);
  }
};

TEST_F(ApiFixture, RejectsMissingOrWrongCredentials) {
  EXPECT_EQ(call("GET", "/api/v1/namespaces", "", "").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/namespaces", "", "Basic dXVpZDpub3Bl").status, 401);  // uuid:nope
  EXPECT_EQ(call("GET", "/api/v1/namespaces", "", "Bearer x").status, 401);
  const auto r = call("GET", "/api/v1/namespaces/guest/actions", "", kOtherAuth);
  EXPECT_EQ(r.status, 403);
  EXPECT_TRUE(json::parse(r.body).contains("code"));
}

TEST_F(ApiFixture, NamespacesAndHealth) {
  EXPECT_EQ(json::parse(call("GET", "/api/v1/namespaces").body), json::array({"guest"}));
  EXPECT_EQ(call("GET", "/healthz", "", "").status, 200);
}

TEST_F(ApiFixture, ActionLifecycle) {
  create_hello();
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/_/actions/hello", R"({"exec":{"kind":"python:3","code":"x"}})").status, 409);
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/_/actions/hello?overwrite=true",
                 R"({"exec":{"kind":"nodejs:20","code":"function main(p){return p}"}})")
                .status,
            200);
  const json got = json::parse(call("GET", "/api/v1/namespaces/guest/actions/hello").body);
  EXPECT_EQ(got["exec"]["kind"], "nodejs:20");
  EXPECT_EQ(got["exec"]["code"], "function main(p){return p}");
  EXPECT_EQ(got["version"], "0.0.2");
  const json list = json::parse(call("GET", "/api/v1/namespaces/_/actions").body);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_FALSE(list[0]["exec"].contains("code"));
  EXPECT_EQ(call("DELETE", "/api/v1/namespaces/_/actions/hello").status, 200);
  EXPECT_EQ(call("GET", "/api/v1/namespaces/_/actions/hello").status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/namespaces/_/actions/hello").status, 404);
}

TEST_F(ApiFixture, MalformedActionsAreRejectedWithReasons) {
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/_/actions/x", "{not json").status, 400);
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/_/actions/x", R"({"exec":{"kind":"cobol","code":"x"}})").status, 400);
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/_/actions/x", R"({"exec":{"kind":"python:3"}})").status, 400);
  const auto r = call("PUT", "/api/v1/namespaces/_/actions/x", R"({"exec":{"kind":"python:3","code":"x"},"limits":{"memory":1}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(json::parse(r.body)["error"].get<std::string>().find("limits.memory"), std::string::npos);
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/_/actions/bad%20name", R"({"exec":{"kind":"python:3","code":"x"}})").status, 400);
  EXPECT_EQ(call("PATCH", "/api/v1/namespaces/_/actions/x").status, 405);
}

TEST_F(ApiFixture, BlockingInvokeReturnsResultOr502) {
  create_hello();
  auto r = call("POST", "/api/v1/namespaces/_/actions/hello?blocking=true&result=true", R"({"name":"hearth"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), (json{{"name", "hearth"}}));
  r = call("POST", "/api/v1/namespaces/_/actions/hello?blocking=true&result=true", R"({"fail":1})");
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(json::parse(r.body)["error"], "boom");
  r = call("POST", "/api/v1/namespaces/_/actions/hello?blocking=true", R"({"a":1})");
  EXPECT_EQ(r.status, 200);
  const json act = json::parse(r.body);
  EXPECT_EQ(act["response"]["result"], (json{{"a", 1}}));
  EXPECT_EQ(act["response"]["statusCode"], 0);
  EXPECT_EQ(act["hearth"]["start_kind"], "cold");
  EXPECT_EQ(act["logs"], json::array({"stdout: hi"}));
}

TEST_F(ApiFixture, NonBlockingInvokeReturnsAnActivationId) {
  create_hello();
  const auto r = call("POST", "/api/v1/namespaces/_/actions/hello", R"({"x":2})");
  EXPECT_EQ(r.status, 202);
  const std::string id = json::parse(r.body)["activationId"];
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(json::parse(call("GET", "/api/v1/namespaces/_/activations/" + id).body)["activationId"], id);
  EXPECT_EQ(json::parse(call("GET", "/api/v1/namespaces/_/activations/" + id + "/result").body)["result"], (json{{"x", 2}}));
  EXPECT_EQ(json::parse(call("GET", "/api/v1/namespaces/_/activations/" + id + "/logs").body)["logs"].size(), 1u);
  EXPECT_EQ(json::parse(call("GET", "/api/v1/namespaces/_/activations?name=hello").body).size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/namespaces/_/activations/nope").status, 404);
}

TEST_F(ApiFixture, InvokeErrors) {
  create_hello();
  EXPECT_EQ(call("POST", "/api/v1/namespaces/_/actions/missing?blocking=true").status, 404);
  EXPECT_EQ(call("POST", "/api/v1/namespaces/_/actions/hello?blocking=true", "[1,2]").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/namespaces/_/actions/hello?blocking=true", "{bad").status, 400);
  const auto big = call("POST", "/api/v1/namespaces/_/actions/hello?blocking=true", std::string(200, ' '));
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(dispatcher.calls, 0);  // nothing reached an invoker
}

}  // namespace
}  // namespace hearth::live
