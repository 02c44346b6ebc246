// The API under overload and its operator views (issue 11): invocations in flight per namespace are
// bounded (ApiConfig::max_in_flight) and refused past it with 429 and OpenWhisk's "Too many concurrent
// requests in flight (count: N, allowed: M)." (apache/openwhisk, Messages.tooManyConcurrentRequests);
// /metrics and /invokers need a namespace's key.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "controller/api.h"
#include "tests/controller/echo_dispatcher.h"

namespace hearth::controller {
namespace {

using nlohmann::json;

const std::string kGuest = "Basic dXVpZDprZXk=";      // uuid:key
const std::string kOther = "Basic b3RoZXI6czNjcjN0";  // other:s3cr3t

struct Bounded : ::testing::Test {
  Store store{":memory:"};
  DeferredDispatcher dispatcher;
  Bounded() {
    store.put_namespace("guest", "uuid", "key");
    store.put_namespace("other", "other", "s3cr3t");
    for (const char* ns : {"guest", "other"}) {
      net::ActionRecord a{ns, "f", "python:3", "def main(a): return a"};
      store.put_action(a, false);
    }
  }
  // An invocation through handle_async: its answer now (status), or -1 while it is pending; a pending
  // one's later response is appended to `later`.
  int invoke(Api& api, const std::string& auth, bool blocking, std::string* body = nullptr) {
    const std::string target = std::string("/api/v1/namespaces/_/actions/f") + (blocking ? "?blocking=true" : "");
    net::AsyncAnswer a = api.handle_async(net::HttpRequest{"POST", target, auth, "{}"}, [this](net::HttpResponse r) { later.push_back(r); });
    if (!a.now) return -1;
    if (body) *body = a.now->body;
    return a.now->status;
  }
  std::vector<net::HttpResponse> later;
};

// With a bound of 2: two blocking invokes wait for their functions; a third of the same namespace is
// refused at once with 429 and OpenWhisk's body, and never reaches the dispatcher; another namespace
// still gets in. Once they end, the namespace is admitted again. Nothing accepted is lost.
TEST_F(Bounded, ThePastTheBoundInvocationIsRefusedWith429AndNothingAcceptedIsLost) {
  Api api(store, dispatcher, ApiConfig{.max_in_flight = 2});
  EXPECT_EQ(invoke(api, kGuest, true), -1);
  EXPECT_EQ(invoke(api, kGuest, true), -1);
  EXPECT_EQ(api.in_flight().in_flight("guest"), 2);
  std::string body;
  ASSERT_EQ(invoke(api, kGuest, true, &body), 429);
  const json refused = json::parse(body);
  EXPECT_EQ(refused["error"], "Too many concurrent requests in flight (count: 2, allowed: 2).");
  EXPECT_TRUE(refused["code"].is_string());
  EXPECT_EQ(invoke(api, kOther, true), -1);  // the bound is per namespace
  EXPECT_EQ(dispatcher.pending.size(), 3u);  // the refused one never reached the dispatcher
  dispatcher.complete_all();
  ASSERT_EQ(later.size(), 3u);
  for (const net::HttpResponse& r : later) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(store.get_activation(json::parse(r.body)["namespace"], json::parse(r.body)["activationId"]).has_value());
  }
  EXPECT_EQ(api.in_flight().in_flight("guest"), 0);
  EXPECT_EQ(invoke(api, kGuest, true), -1);  // admitted again
  EXPECT_EQ(api.in_flight().refused(), 1u);
  EXPECT_NE(api.prometheus_metrics().find("hearth_api_refused_too_many_in_flight_total 1\n"), std::string::npos);
  dispatcher.complete_all();
}

// Non-blocking invocations count until they end, not until their 202.
TEST_F(Bounded, NonBlockingInvocationsCountUntilTheyEnd) {
  Api api(store, dispatcher, ApiConfig{.max_in_flight = 1});
  const auto accepted = [&] {  // the 202 comes once the journal row is committed
    for (int i = 0; i < 500 && later.empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return !later.empty() && later.back().status == 202;
  };
  EXPECT_EQ(invoke(api, kGuest, false), -1);
  ASSERT_TRUE(accepted());
  for (int i = 0; i < 500 && dispatcher.pending.empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_EQ(invoke(api, kGuest, false), 429);
  dispatcher.complete_all();
  later.clear();
  EXPECT_EQ(invoke(api, kGuest, false), -1);
  EXPECT_TRUE(accepted());
  for (int i = 0; i < 500 && dispatcher.pending.empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  dispatcher.complete_all();
}

// The probe of the bound without it: with max_in_flight 0 the same third invocation is accepted.
TEST_F(Bounded, WithoutABoundTheThirdInvocationIsAccepted) {
  Api api(store, dispatcher, ApiConfig{.max_in_flight = 0});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(invoke(api, kGuest, true), -1);
  EXPECT_EQ(dispatcher.pending.size(), 3u);
  dispatcher.complete_all();
  EXPECT_EQ(later.size(), 3u);
}

// /metrics and /invokers answer with a namespace's key (the probe succeeds), and 401 without one or with
// a wrong one; /healthz needs none.
TEST_F(Bounded, MetricsAndInvokersNeedAKey) {
  Api api(store, dispatcher);
  api.set_metrics_source([] { return std::string("hearth_up 1\n"); });
  api.set_invokers_source([] { return std::string(R"({"invoker0/0":"up"})"); });
  const auto get = [&](const std::string& path, const std::string& auth) { return api.handle(net::HttpRequest{"GET", path, auth, ""}); };
  const net::HttpResponse metrics = get("/metrics", kGuest);
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("hearth_up 1\n"), std::string::npos);
  EXPECT_EQ(get("/metrics", kOther).status, 200);  // any namespace's key
  EXPECT_EQ(get("/invokers", kGuest).status, 200);
  EXPECT_EQ(get("/invokers", kGuest).body, R"({"invoker0/0":"up"})");
  for (const std::string path : {"/metrics", "/invokers"}) {
    const net::HttpResponse denied = get(path, "");
    EXPECT_EQ(denied.status, 401) << path;
    EXPECT_EQ(json::parse(denied.body)["error"], "The supplied authentication is invalid.");
    EXPECT_EQ(denied.body.find("hearth_up"), std::string::npos);
    EXPECT_EQ(get(path, "Basic dXVpZDp3cm9uZw==").status, 401) << path;  // uuid:wrong
  }
  EXPECT_EQ(get("/healthz", "").status, 200);
}

}  // namespace
}  // namespace hearth::controller
