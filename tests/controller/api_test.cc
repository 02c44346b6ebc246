#include "controller/api.h"
#include "net/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "tests/controller/echo_dispatcher.h"

namespace hearth::controller {
namespace {

using nlohmann::json;

// Echoes params as the result; a param "fail" gives an application error.
class EchoDispatcher final : public invoker::Dispatcher {
 public:
  void dispatch(net::InvocationRequest req, std::function<void(net::ActivationRecord)> done) override {
    net::ActivationRecord r = echo_record(req);
    r.start_us = req.arrival_us;
    r.end_us = req.arrival_us + 1500;
    r.run_us = 1000;
    r.start_kind = "cold";
    const json params = json::parse(req.params_json);
    r.status = params.contains("fail") ? "application error" : "success";
    r.result_json = params.contains("fail") ? json{{"error", "boom"}}.dump() : req.params_json;
    r.logs = {"stdout: hi"};
    ++calls;
    last_cpu_millicores = req.action.cpu_millicores;
    done(r);
  }
  int calls = 0;
  std::int64_t last_cpu_millicores = -1;
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
  net::HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& auth = kAuth) {
    return api.handle(net::HttpRequest{method, target, auth, body});
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

// A namespace made with a random key (hearth namespace create) reaches its own actions and activations
// and none of another's: the same requests with the owner's key succeed.
TEST_F(ApiFixture, ANamespacesKeyReachesOnlyItsOwnEntities) {
  const Credentials t = store.create_namespace("tenant");
  const std::string tenant = net::basic_auth(t.uuid, t.key);
  create_hello();
  const auto ran = call("POST", "/api/v1/namespaces/_/actions/hello?blocking=true", "{}");
  ASSERT_EQ(ran.status, 200);
  const std::string id = json::parse(ran.body)["activationId"];
  const std::string activation = "/api/v1/namespaces/guest/activations/" + id;
  for (const std::string& path : {std::string("/api/v1/namespaces/guest/actions/hello"), activation}) {
    EXPECT_EQ(call("GET", path).status, 200) << path;              // the owner
    EXPECT_EQ(call("GET", path, "", tenant).status, 403) << path;  // named explicitly: forbidden
  }
  EXPECT_EQ(call("GET", "/api/v1/namespaces/_/actions/hello", "", tenant).status, 404);  // not in its own
  EXPECT_EQ(call("GET", "/api/v1/namespaces/_/activations/" + id, "", tenant).status, 404);
  EXPECT_EQ(call("POST", "/api/v1/namespaces/guest/actions/hello?blocking=true", "{}", tenant).status, 403);
  EXPECT_EQ(json::parse(call("GET", "/api/v1/namespaces/_/activations", "", tenant).body).size(), 0u);
  EXPECT_EQ(call("GET", "/api/v1/namespaces/_/actions", "", net::basic_auth(t.uuid, "key")).status, 401);  // guest's key, tenant's uuid
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
  // OpenWhisk's entity names allow inner spaces, not a trailing one nor "!"
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/_/actions/bad%21name", R"({"exec":{"kind":"python:3","code":"x"}})").status, 400);
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/_/actions/bad%20", R"({"exec":{"kind":"python:3","code":"x"}})").status, 400);
  EXPECT_EQ(call("PATCH", "/api/v1/namespaces/_/actions/x").status, 405);
}

// limits.cpu (cores, a decimal): stored as millicores, returned by GET, carried to the dispatcher with the
// invocation; absent, the action has none. Out of [0.01, 64] or not a number: 400 naming limits.cpu.
TEST_F(ApiFixture, CpuLimitIsValidatedStoredAndReturned) {
  ASSERT_EQ(call("PUT", "/api/v1/namespaces/_/actions/half",
                 R"({"exec":{"kind":"python:3","code":"def main(a): return a"},"limits":{"memory":32,"cpu":0.5}})")
                .status,
            200);
  EXPECT_EQ(store.get_action("guest", "half")->cpu_millicores, 500);
  const json got = json::parse(call("GET", "/api/v1/namespaces/_/actions/half").body);
  EXPECT_DOUBLE_EQ(got["limits"]["cpu"].get<double>(), 0.5);
  EXPECT_EQ(got["limits"]["memory"], 32);
  EXPECT_EQ(call("POST", "/api/v1/namespaces/_/actions/half?blocking=true", "{}").status, 200);
  EXPECT_EQ(dispatcher.last_cpu_millicores, 500);
  ASSERT_EQ(call("PUT", "/api/v1/namespaces/_/actions/whole", R"({"exec":{"kind":"python:3","code":"x"},"limits":{"cpu":2}})").status, 200);
  EXPECT_EQ(store.get_action("guest", "whole")->cpu_millicores, 2000);
  create_hello();  // no limits.cpu: none stored, none returned
  EXPECT_EQ(store.get_action("guest", "hello")->cpu_millicores, 0);
  EXPECT_FALSE(json::parse(call("GET", "/api/v1/namespaces/_/actions/hello").body)["limits"].contains("cpu"));
  for (const std::string bad : {"0", "0.001", "-1", "64.5", "1000", "\"1\"", "true", "null", "[1]"}) {
    const auto r = call("PUT", "/api/v1/namespaces/_/actions/bad",
                        R"({"exec":{"kind":"python:3","code":"x"},"limits":{"cpu":)" + bad + "}}");
    EXPECT_EQ(r.status, 400) << bad;
    const std::string error = json::parse(r.body)["error"].get<std::string>();
    EXPECT_NE(error.find("limits.cpu must be a number of cores in [0.01, 64"), std::string::npos) << error;
    EXPECT_NE(error.find(bad), std::string::npos) << error;  // what was sent
  }
  EXPECT_FALSE(store.get_action("guest", "bad").has_value());
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
  // The invocation runs after the 202: its record appears once it completes (poll, at most 10 s, for a
  // loaded or sanitised build).
  for (int i = 0; i < 1000 && call("GET", "/api/v1/namespaces/_/activations/" + id).status == 404; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(json::parse(call("GET", "/api/v1/namespaces/_/activations/" + id).body)["activationId"], id);
  EXPECT_EQ(json::parse(call("GET", "/api/v1/namespaces/_/activations/" + id + "/result").body)["result"], (json{{"x", 2}}));
  EXPECT_EQ(json::parse(call("GET", "/api/v1/namespaces/_/activations/" + id + "/logs").body)["logs"].size(), 1u);
  EXPECT_EQ(json::parse(call("GET", "/api/v1/namespaces/_/activations?name=hello").body).size(), 1u);
  EXPECT_EQ(call("GET", "/api/v1/namespaces/_/activations/nope").status, 400);  // not an activation id
  EXPECT_EQ(call("GET", "/api/v1/namespaces/_/activations/" + std::string(32, 'f')).status, 404);
}

struct AsyncApiFixture : ::testing::Test {
  Store store{":memory:"};
  DeferredDispatcher dispatcher;
  Api api{store, dispatcher};
  AsyncApiFixture() {
    store.put_namespace("guest", "uuid", "key");
    net::ActionRecord a{"guest", "hello", "python:3", "def main(a): return a"};
    store.put_action(a, false);
  }
};

TEST_F(AsyncApiFixture, BlockingInvokeIsAnsweredByItsCompletion) {
  std::vector<net::HttpResponse> got;
  std::string stored_when_answered;
  net::AsyncAnswer a = api.handle_async(
      net::HttpRequest{"POST", "/api/v1/namespaces/_/actions/hello?blocking=true", kAuth, R"({"x":1})"},
      [&](net::HttpResponse r) {
        const std::string id = json::parse(r.body)["activationId"];
        stored_when_answered = store.get_activation("guest", id) ? id : "";
        got.push_back(std::move(r));
      });
  ASSERT_FALSE(a.now.has_value());
  ASSERT_TRUE(a.pending);
  EXPECT_EQ(a.wait_ms, ApiConfig{}.blocking_wait_ms);
  EXPECT_EQ(a.timeout.status, 202);
  EXPECT_TRUE(got.empty());  // nothing until the function completes
  dispatcher.complete_all();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 200);
  EXPECT_EQ(json::parse(got[0].body)["response"]["result"], (json{{"x", 1}}));
  EXPECT_FALSE(stored_when_answered.empty());  // the record is readable before the response goes out
  EXPECT_FALSE(a.pending->send(a.timeout));    // a late deadline is ignored
  EXPECT_EQ(got.size(), 1u);
}

TEST_F(AsyncApiFixture, DeadlineFirstAnswers202AndTheLateCompletionOnlyStoresTheRecord) {
  std::vector<net::HttpResponse> got;
  net::AsyncAnswer a = api.handle_async(
      net::HttpRequest{"POST", "/api/v1/namespaces/_/actions/hello?blocking=true&result=true", kAuth, "{}"},
      [&](net::HttpResponse r) { got.push_back(std::move(r)); });
  ASSERT_TRUE(a.pending);
  const std::string id = json::parse(a.timeout.body)["activationId"];
  EXPECT_TRUE(a.pending->send(a.timeout));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status, 202);
  dispatcher.complete_all();
  EXPECT_EQ(got.size(), 1u);
  EXPECT_TRUE(store.get_activation("guest", id).has_value());
}

TEST_F(AsyncApiFixture, OtherRequestsAreAnsweredAtOnce) {
  bool called = false;
  net::AsyncAnswer a = api.handle_async(net::HttpRequest{"GET", "/healthz", "", ""}, [&](net::HttpResponse) { called = true; });
  ASSERT_TRUE(a.now.has_value());
  EXPECT_EQ(a.now->status, 200);
  EXPECT_FALSE(called);
  // A non-blocking invoke is answered 202 once its journal row is written (Store::accept), not before:
  // through `deliver`, before the function completes.
  std::atomic<int> status{0};  // set on the store's writer thread
  a = api.handle_async(net::HttpRequest{"POST", "/api/v1/namespaces/_/actions/hello", kAuth, "{}"},
                       [&](net::HttpResponse r) { status = r.status; });
  EXPECT_FALSE(a.now.has_value());
  ASSERT_TRUE(a.pending);
  for (int i = 0; i < 200 && status == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(status, 202);
  dispatcher.complete_all();
}

TEST_F(AsyncApiFixture, HandleWaitsAtMostTheBlockingWait) {
  Api impatient{store, dispatcher, ApiConfig{.blocking_wait_ms = 20}};
  const auto r = impatient.handle(net::HttpRequest{"POST", "/api/v1/namespaces/_/actions/hello?blocking=true", kAuth, "{}"});
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(json::parse(r.body)["activationId"].get<std::string>().size(), 32u);
  dispatcher.complete_all();  // the late completion still stores the record, and answers no one
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
}  // namespace hearth::controller
