// Names and list bounds at the API (issue 11, items 6 and 10): OpenWhisk's entity-name rule on every path
// segment, "." and ".." refused; `limit`/`skip` bounded as OpenWhisk bounds them.
#include <gtest/gtest.h>
#include <vector>
#include <chrono>
#include <thread>
#include <set>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/api.h"
#include "invoker/code_files.h"
#include "controller/entity_name.h"
#include "tests/controller/echo_dispatcher.h"
#include "tests/trace/temp_dir.h"

namespace hearth::controller {
namespace {

using nlohmann::json;

const std::string kAlice = "Basic YWxpY2U6YQ==";  // alice:a
const std::string kBob = "Basic Ym9iOmI=";        // bob:b

struct Names : ::testing::Test {
  Store store{":memory:"};
  EchoDispatcher dispatcher;
  Api api{store, dispatcher};
  Names() {
    store.put_namespace("alice", "alice", "a");
    store.put_namespace("bob", "bob", "b");
  }
  net::HttpResponse call(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::string& auth = kAlice) {
    return api.handle(net::HttpRequest{method, target, auth, body});
  }
  std::string put_body(const std::string& code) {
    return json{{"exec", {{"kind", "python:3"}, {"code", code}}}}.dump();
  }
};

TEST(EntityName, FollowsOpenWhisksRegex) {
  for (const char* ok : {"a", "_", "9", "hello", "a b", "a.b", "a@b", "a&b", "a-b", "a.", "a-", "A_1"})
    EXPECT_TRUE(valid_entity_name(ok)) << ok;
  for (const char* bad : {"", ".", "..", "-a", " a", "a ", "a/b", "@a", ".hidden", "a\nb", "a%b", "é"})
    EXPECT_FALSE(valid_entity_name(bad)) << bad;
  EXPECT_TRUE(valid_entity_name(std::string(256, 'x')));
  EXPECT_FALSE(valid_entity_name(std::string(257, 'x')));
  EXPECT_EQ(entity_name_error("action name", std::string(257, 'x')), "action name longer than allowed: 257 > 256.");
  EXPECT_TRUE(valid_activation_id(new_activation_id()));
  EXPECT_FALSE(valid_activation_id("nope"));
  EXPECT_FALSE(valid_activation_id(std::string(32, 'G')));
}

// Activation ids start with the wall clock: ids made later sort after (the store's id index then takes a
// group's records on shared pages), and the random rest keeps ids made in the same µs apart.
TEST(ActivationId, ThirtyTwoHexDigitsTimeOrderedAndDistinct) {
  std::vector<std::string> ids;
  for (int i = 0; i < 2000; ++i) {
    ids.push_back(new_activation_id());
    if (i % 500 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (const std::string& id : ids) ASSERT_TRUE(valid_activation_id(id)) << id;
  for (std::size_t i = 0; i + 1 < ids.size(); i += 500)  // 2 ms apart: a later clock prefix
    EXPECT_LT(ids[i].substr(0, 13), ids[i + 1].substr(0, 13)) << i;
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

// The probe: with code files at <code_dir>/<namespace>/<name>/<version>, an action named ".." in any
// namespace mapped onto the same file as ".." in every other — alice's and bob's version 1 were one path.
// With the rule, the API refuses the name in both namespaces; and code files are content-addressed now
// (live/code_files.h), so no name reaches a path at all: two actions' code never share a file by name.
TEST_F(Names, DotDotWouldMapAcrossNamespacesAndIsRefused) {
  namespace fs = std::filesystem;
  const fs::path code = "/data/code";
  EXPECT_EQ((code / "alice" / ".." / "1").lexically_normal(), (code / "bob" / ".." / "1").lexically_normal());

  for (const std::string name : {"..", ".", "%2e%2e", "%2E"}) {
    const net::HttpResponse r = call("PUT", "/api/v1/namespaces/_/actions/" + name, put_body("def main(a):\n    return {}\n"));
    EXPECT_EQ(r.status, 400) << name << ": " << r.body;
    EXPECT_NE(json::parse(r.body)["error"].get<std::string>().find("contains illegal characters"), std::string::npos);
    EXPECT_EQ(call("PUT", "/api/v1/namespaces/_/actions/" + name, put_body("x"), kBob).status, 400);
    EXPECT_EQ(call("POST", "/api/v1/namespaces/_/actions/" + name + "?blocking=true").status, 400);
  }
  EXPECT_TRUE(store.list_actions("alice", 30, 0).empty());

  hearth::testing::TempDir dir;
  invoker::CodeFiles files(dir.str() + "/code");
  const auto alice = files.acquire(net::ActionRecord{"alice", "..", "python:3", "def main(a):\n    return {'who': 'alice'}\n"});
  const auto bob = files.acquire(net::ActionRecord{"bob", "..", "python:3", "def main(a):\n    return {'who': 'bob'}\n"});
  EXPECT_NE(alice.path(), bob.path());
  for (const auto* lease : {&alice, &bob})
    EXPECT_EQ(fs::path(lease->path()).parent_path().parent_path(), fs::path(dir.str() + "/code")) << lease->path();
}

TEST_F(Names, EveryPathSegmentIsChecked) {
  EXPECT_EQ(call("GET", "/api/v1/namespaces/../actions").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/namespaces/%2e%2e/actions/x").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/namespaces/bob/actions").status, 403);  // a valid name, not hers
  EXPECT_EQ(call("GET", "/api/v1/namespaces/_/actions/" + std::string(257, 'x')).status, 400);
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/_/actions/" + std::string(256, 'x'), put_body("x")).status, 200);
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/_/actions/a%20b", put_body("x")).status, 200);
  const net::HttpResponse bad_id = call("GET", "/api/v1/namespaces/_/activations/..");
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(json::parse(bad_id.body)["error"], "The activation id is not valid.");
  EXPECT_EQ(call("GET", "/api/v1/namespaces/_/activations/" + std::string(32, '0')).status, 404);
}

// OpenWhisk: limit 1..200 (0 means 200), default 30; skip >= 0; a non-integer is a 400 too.
TEST_F(Names, LimitAndSkipAreBoundedAsOpenWhiskBoundsThem) {
  for (int i = 0; i < 205; ++i)
    ASSERT_EQ(call("PUT", "/api/v1/namespaces/_/actions/f" + std::to_string(i), put_body("x")).status, 200);
  const auto count = [&](const std::string& query) {
    const net::HttpResponse r = call("GET", "/api/v1/namespaces/_/actions" + query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    return json::parse(r.body).size();
  };
  EXPECT_EQ(count(""), 30u);
  EXPECT_EQ(count("?limit=200"), 200u);
  EXPECT_EQ(count("?limit=0"), 200u);
  EXPECT_EQ(count("?limit=10&skip=200"), 5u);
  const auto error_of = [&](const std::string& target) {
    const net::HttpResponse r = call("GET", target);
    EXPECT_EQ(r.status, 400) << target;
    return json::parse(r.body)["error"].get<std::string>();
  };
  EXPECT_EQ(error_of("/api/v1/namespaces/_/actions?limit=201"), "The value '201' is not in the range of 0 to 200 for actions.");
  EXPECT_EQ(error_of("/api/v1/namespaces/_/actions?limit=-1"), "The value '-1' is not in the range of 0 to 200 for actions.");
  EXPECT_EQ(error_of("/api/v1/namespaces/_/activations?skip=-5"), "The value '-5' is not greater than or equal to 0 for activations.");
  EXPECT_EQ(error_of("/api/v1/namespaces/_/activations?limit=ten"), "The value 'ten' is not an integer for activations.");
  EXPECT_EQ(error_of("/api/v1/namespaces/_/actions?skip=99999999999"), "The value '99999999999' is not an integer for actions.");
}

}  // namespace
}  // namespace hearth::controller
