// OpenWhisk sequences through the API (controller/sequence.h): create-time checks, the chain of
// activations, the records, a failing component, nested sequences, blocking and non-blocking.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "controller/api.h"
#include "controller/freshen_annotation.h"
#include "controller/sequence.h"
#include "tests/controller/echo_dispatcher.h"

namespace hearth::controller {
namespace {

using nlohmann::json;

// Each action adds its name to the "path" array of its parameters; "fail" in the parameters fails it,
// and an action named "breaks" always fails.
class ChainDispatcher final : public invoker::Dispatcher {
 public:
  void dispatch(net::InvocationRequest req, std::function<void(net::ActivationRecord)> done) override {
    net::ActivationRecord r = echo_record(req);
    r.start_us = req.arrival_us;
    r.end_us = req.arrival_us + 2000;
    r.run_us = 2000;
    r.start_kind = "warm";
    json params = json::parse(req.params_json);
    params["path"].push_back(req.action.name);
    const bool fail = params.contains("fail") || req.action.name == "breaks";
    r.status = fail ? "application error" : "success";
    r.result_json = fail ? json{{"error", req.action.name + " failed"}}.dump() : params.dump();
    ran.push_back(req.action.name);
    done(r);
  }
  bool freshen(const net::ActionRecord& action, std::int64_t hook_timeout_ms) override {
    freshened.push_back(action.name + "@" + std::to_string(hook_timeout_ms));
    ran.push_back("freshen " + action.name);
    return action.name != "c";  // c has no idle container
  }
  std::vector<std::string> ran;
  std::vector<std::string> freshened;
};

const std::string kAuth = "Basic dXVpZDprZXk=";  // uuid:key

struct SequenceApi : ::testing::Test {
  Store store{":memory:"};
  ChainDispatcher dispatcher;
  Api api{store, dispatcher};
  SequenceApi() {
    store.put_namespace("guest", "uuid", "key");
    store.put_namespace("other", "other", "s3cr3t");
    for (const char* name : {"a", "b", "c", "breaks"})
      EXPECT_EQ(call("PUT", std::string("/api/v1/namespaces/_/actions/") + name,
                     R"({"exec":{"kind":"python:3","code":"def main(a): return a"},"limits":{"memory":128}})")
                    .status,
                200);
  }
  net::HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "") {
    return api.handle(net::HttpRequest{method, target, kAuth, body});
  }
  net::HttpResponse put_sequence(const std::string& name, const json& components, bool overwrite = false) {
    return call("PUT", "/api/v1/namespaces/_/actions/" + name + (overwrite ? "?overwrite=true" : ""),
                json{{"exec", {{"kind", "sequence"}, {"components", components}}}}.dump());
  }
  json annotation(const json& activation, const std::string& key) {
    for (const json& a : activation["annotations"])
      if (a["key"] == key) return a["value"];
    return nullptr;
  }
};

TEST_F(SequenceApi, CreateGetAndInvokeBlocking) {
  const auto created = put_sequence("abc", {"/guest/a", "/_/b", "guest/c"});
  ASSERT_EQ(created.status, 200) << created.body;
  const json got = json::parse(call("GET", "/api/v1/namespaces/_/actions/abc").body);
  EXPECT_EQ(got["exec"]["kind"], "sequence");
  EXPECT_EQ(got["exec"]["components"], (json{"/guest/a", "/guest/b", "/guest/c"}));
  EXPECT_FALSE(got["exec"].contains("code"));

  const auto r = call("POST", "/api/v1/namespaces/_/actions/abc?blocking=true", R"({"path":[]})");
  ASSERT_EQ(r.status, 200) << r.body;
  const json seq = json::parse(r.body);
  EXPECT_EQ(seq["response"]["result"]["path"], (json{"a", "b", "c"}));  // each output the next input
  EXPECT_EQ(dispatcher.ran, (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(seq["logs"].size(), 3u);
  EXPECT_EQ(seq["duration"], 6);  // the sum of the components' (2 ms each), as OpenWhisk
  EXPECT_EQ(annotation(seq, "topmost"), true);
  EXPECT_EQ(annotation(seq, "kind"), "sequence");
  EXPECT_EQ(annotation(seq, "path"), "guest/abc");
  EXPECT_EQ(annotation(seq, "limits")["memory"], 128);
  EXPECT_TRUE(annotation(seq, "waitTime").is_null());
  const char* names[] = {"a", "b", "c"};
  for (std::size_t i = 0; i < 3; ++i) {  // each component is an activation of its own, caused by the sequence
    const std::string id = seq["logs"][i];
    const auto c = call("GET", "/api/v1/namespaces/_/activations/" + id);
    ASSERT_EQ(c.status, 200) << id;
    const json component = json::parse(c.body);
    EXPECT_EQ(component["name"], names[i]);
    EXPECT_EQ(component["cause"], seq["activationId"]);
    EXPECT_EQ(annotation(component, "causedBy"), "sequence");
    EXPECT_EQ(annotation(component, "startKind"), "warm");
  }
  const json result_only = json::parse(call("POST", "/api/v1/namespaces/_/actions/abc?blocking=true&result=true", R"({"path":[]})").body);
  EXPECT_EQ(result_only["path"], (json{"a", "b", "c"}));
}

TEST_F(SequenceApi, NonBlockingReturnsTheSequencesIdAndStoresItsRecord) {
  ASSERT_EQ(put_sequence("ab", {"/guest/a", "/guest/b"}).status, 200);
  const auto r = call("POST", "/api/v1/namespaces/_/actions/ab", R"({"path":["x"]})");
  ASSERT_EQ(r.status, 202);
  const std::string id = json::parse(r.body)["activationId"];
  for (int i = 0; i < 1000 && call("GET", "/api/v1/namespaces/_/activations/" + id).status == 404; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const json seq = json::parse(call("GET", "/api/v1/namespaces/_/activations/" + id).body);
  EXPECT_EQ(seq["response"]["result"]["path"], (json{"x", "a", "b"}));
  EXPECT_EQ(seq["logs"].size(), 2u);
}

TEST_F(SequenceApi, AFailingComponentEndsTheSequenceWithItsResponse) {
  ASSERT_EQ(put_sequence("abreaksc", {"/guest/a", "/guest/breaks", "/guest/c"}).status, 200);
  const auto r = call("POST", "/api/v1/namespaces/_/actions/abreaksc?blocking=true", R"({"path":[]})");
  EXPECT_EQ(r.status, 502);
  const json seq = json::parse(r.body);
  EXPECT_EQ(seq["response"]["status"], "application error");
  EXPECT_EQ(seq["response"]["result"]["error"], "breaks failed");
  EXPECT_EQ(seq["logs"].size(), 2u);  // c never ran
  EXPECT_EQ(dispatcher.ran, (std::vector<std::string>{"a", "breaks"}));
}

TEST_F(SequenceApi, ADeletedComponentEndsTheSequenceAsOpenWhiskDoes) {
  ASSERT_EQ(put_sequence("ac", {"/guest/a", "/guest/c"}).status, 200);
  ASSERT_EQ(call("DELETE", "/api/v1/namespaces/_/actions/c").status, 200);
  const auto r = call("POST", "/api/v1/namespaces/_/actions/ac?blocking=true", R"({"path":[]})");
  EXPECT_EQ(r.status, 502);
  const json seq = json::parse(r.body);
  EXPECT_EQ(seq["response"]["result"]["error"], kSequenceComponentNotFound);
  EXPECT_EQ(seq["logs"].size(), 1u);
}

TEST_F(SequenceApi, UnknownCyclicLongAndMalformedSequencesAreRejected) {
  // Without the checks the same PUTs would store: shown by one that passes them.
  ASSERT_EQ(put_sequence("ok", {"/guest/a"}).status, 200);
  auto r = put_sequence("s1", {"/guest/a", "/guest/nope"});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"], kSequenceComponentNotFound);
  r = put_sequence("self", {"/guest/a", "/guest/self"});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"], kSequenceIsCyclic);
  // An indirect cycle: outer -> inner, then inner redefined to reach outer.
  ASSERT_EQ(put_sequence("inner", {"/guest/a"}).status, 200);
  ASSERT_EQ(put_sequence("outer", {"/guest/inner", "/guest/b"}).status, 200);
  r = put_sequence("inner", {"/guest/outer"}, /*overwrite=*/true);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"], kSequenceIsCyclic);
  // 50 atomic actions are allowed, 51 are not, also when they come from nested sequences.
  EXPECT_EQ(put_sequence("fifty", json(std::vector<std::string>(50, "/guest/a"))).status, 200);
  r = put_sequence("fiftyone", json(std::vector<std::string>(51, "/guest/a")));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"], kSequenceIsTooLong);
  r = put_sequence("nested51", {"/guest/fifty", "/guest/a"});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"], kSequenceIsTooLong);
  r = put_sequence("empty", json::array());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"], kSequenceNoComponent);
  for (const json& bad : {json{"/other/a"}, json{"/guest/pkg/a"}, json{"/guest/bad name!"}, json{1}, json("a")}) {
    r = put_sequence("bad", bad);
    EXPECT_EQ(r.status, 400) << bad.dump();
    EXPECT_NE(json::parse(r.body)["error"].get<std::string>().find("malformed"), std::string::npos) << r.body;
  }
  EXPECT_EQ(call("GET", "/api/v1/namespaces/_/actions/bad").status, 404);
}

TEST_F(SequenceApi, NestedSequencesRunAsInnerSequences) {
  ASSERT_EQ(put_sequence("ab", {"/guest/a", "/guest/b"}).status, 200);
  ASSERT_EQ(put_sequence("abc", {"/guest/ab", "/guest/c"}).status, 200);
  const auto r = call("POST", "/api/v1/namespaces/_/actions/abc?blocking=true", R"({"path":[]})");
  ASSERT_EQ(r.status, 200) << r.body;
  const json seq = json::parse(r.body);
  EXPECT_EQ(seq["response"]["result"]["path"], (json{"a", "b", "c"}));
  ASSERT_EQ(seq["logs"].size(), 2u);  // the inner sequence's activation, then c's
  const json inner = json::parse(call("GET", "/api/v1/namespaces/_/activations/" + seq["logs"][0].get<std::string>()).body);
  EXPECT_EQ(inner["name"], "ab");
  EXPECT_EQ(annotation(inner, "topmost"), false);
  EXPECT_EQ(annotation(inner, "causedBy"), "sequence");
  EXPECT_EQ(inner["cause"], seq["activationId"]);
  EXPECT_EQ(inner["logs"].size(), 2u);
  EXPECT_EQ(seq["duration"], 6);
}

// freshen along the chain (docs/freshen.md): as each component starts, the next one's hook is asked for;
// a component whose hook started is annotated trigger "chain". Off by default: no hook is asked for.
TEST_F(SequenceApi, FreshenAlongTheChainAsksForTheNextComponentsHook) {
  ASSERT_EQ(put_sequence("abc", {"/guest/a", "/guest/b", "/guest/c"}).status, 200);
  ASSERT_EQ(call("POST", "/api/v1/namespaces/_/actions/abc?blocking=true", R"({"path":[]})").status, 200);
  EXPECT_TRUE(dispatcher.freshened.empty());  // the default: off

  Api on{store, dispatcher, ApiConfig{.freshen_chains = true, .freshen_timeout_ms = 1234}};
  dispatcher.ran.clear();
  const auto r = on.handle(net::HttpRequest{"POST", "/api/v1/namespaces/_/actions/abc?blocking=true", kAuth, R"({"path":[]})"});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(dispatcher.freshened, (std::vector<std::string>{"b@1234", "c@1234"}));
  EXPECT_EQ(dispatcher.ran, (std::vector<std::string>{"freshen b", "a", "freshen c", "b", "c"}));  // ahead of each
  const json seq = json::parse(r.body);
  const json a = json::parse(call("GET", "/api/v1/namespaces/_/activations/" + seq["logs"][0].get<std::string>()).body);
  const json b = json::parse(call("GET", "/api/v1/namespaces/_/activations/" + seq["logs"][1].get<std::string>()).body);
  const json c = json::parse(call("GET", "/api/v1/namespaces/_/activations/" + seq["logs"][2].get<std::string>()).body);
  EXPECT_TRUE(annotation(a, "freshen").is_null());
  EXPECT_EQ(annotation(b, "freshen")["trigger"], "chain");
  EXPECT_TRUE(annotation(c, "freshen").is_null());  // asked for, but no hook started
  EXPECT_NE(on.prometheus_metrics().find("hearth_api_freshen_chain_total{result=\"started\"} 1"), std::string::npos)
      << on.prometheus_metrics();
  EXPECT_THROW((Api{store, dispatcher, ApiConfig{.freshen_timeout_ms = 0}}), std::invalid_argument);
}

TEST(FreshenAnnotation, TheRuntimesReportAndTheTriggerBecomeOneAnnotation) {
  net::ActivationRecord r;
  annotate_freshen(r, nullptr);
  EXPECT_EQ(r.annotations_json, "");  // nothing to say
  r.annotations_json = R"([{"key":"causedBy","value":"sequence"}])";
  r.freshen_json = R"({"hits":1})";
  annotate_freshen(r, "chain");
  EXPECT_EQ(json::parse(r.annotations_json),
            json::parse(R"([{"key":"causedBy","value":"sequence"},{"key":"freshen","value":{"hits":1,"trigger":"chain"}}])"));
  net::ActivationRecord hostile;
  hostile.freshen_json = "[1,2";  // an invoker's bytes are parsed, never trusted
  annotate_freshen(hostile, nullptr);
  EXPECT_EQ(json::parse(hostile.annotations_json)[0]["value"]["report"], "unreadable");
}

}  // namespace
}  // namespace hearth::controller
