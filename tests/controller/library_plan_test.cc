// LibraryPlan (controller/library_plan.h): the live Scorpius plan over a repository — modes, ids in name
// order, the history learned from dispatched functions, the budget — and the wire: an invoker is sent its
// row as "library_prepare" when it joins and when a dispatched function changes the plan.
#include "controller/library_plan.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "controller/remote_dispatcher.h"
#include "net/sha256.h"
#include "net/wire.h"
#include "tests/controller/raw_invoker.h"
#include "tests/trace/temp_dir.h"

namespace hearth::controller {
namespace {

using nlohmann::json;

// Four fake packages with installed sizes (KB): base 100, mid 200, app 300 (app → mid → base), big 5,000.
struct SizedRepo {
  hearth::testing::TempDir dir;
  SizedRepo() {
    json libs = json::array();
    const std::vector<std::tuple<std::string, std::string, int>> packages = {
        {"app", "python3-mid", 300}, {"mid", "python3-base", 200}, {"base", "", 100}, {"big", "", 5000}};
    for (const auto& [name, dep, kb] : packages) {
      const std::string content = "not really a deb: " + name;
      const std::string file = "python3-" + name + "_1_all.deb";
      std::ofstream(dir.path() / file, std::ios::binary) << content;
      libs.push_back({{"name", name}, {"package", "python3-" + name}, {"version", "1"}, {"file", file},
                      {"sha256", net::sha256_hex(content)}, {"size", content.size()}, {"installed_size_kb", kb},
                      {"depends", dep.empty() ? json::array() : json::array({dep})}});
    }
    std::ofstream(dir.path() / "manifest.json") << json{{"libraries", libs}}.dump();
  }
  std::shared_ptr<const LibraryRepository> repository() const { return std::make_shared<LibraryRepository>(dir.str()); }
};

std::vector<std::string> names(const std::vector<net::LibraryRef>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs) out.push_back(r.name);
  return out;
}

TEST(LibraryPlan, ModesAndIdsInNameOrder) {
  SizedRepo r;
  const auto repo = r.repository();
  EXPECT_EQ(LibraryPlan::parse("scorpius"), LibraryPlan::Mode::kScorpius);
  EXPECT_THROW(LibraryPlan::parse("everything"), std::invalid_argument);
  EXPECT_THROW(LibraryPlan(nullptr, LibraryPlan::Mode::kSock, 1024), std::invalid_argument);  // needs a repository
  EXPECT_THROW(LibraryPlan(repo, LibraryPlan::Mode::kSock, -1), std::invalid_argument);

  LibraryPlan sock(repo, LibraryPlan::Mode::kSock, 1);  // sock ignores the budget: everything everywhere
  EXPECT_TRUE(sock.replan(2));
  EXPECT_EQ(names(sock.refs_on(1)), (std::vector<std::string>{"app", "base", "big", "mid"}));
  EXPECT_EQ(sock.matrix().stored_kb(0), 5600);
  EXPECT_FALSE(sock.replan(2));  // unchanged

  LibraryPlan none(repo, LibraryPlan::Mode::kNone, 1 << 20);
  none.imports_of(repo->resolve({"app"}), true);
  none.replan(2);
  EXPECT_TRUE(none.refs_on(0).empty());
  EXPECT_TRUE(none.refs_on(7).empty());  // no such server: nothing

  // G_f: ids in name order (app 0, base 1, big 2, mid 3), unknown names skipped, each once.
  std::vector<net::LibraryRef> closure = repo->resolve({"app"});
  closure.push_back({"unknown", std::string(64, 'a'), 1});
  closure.push_back(closure.front());
  EXPECT_EQ(none.imports_of(closure, false), (std::vector<policy::LibraryId>{0, 1, 3}));
}

TEST(LibraryPlan, ScorpiusPlansFromTheLearnedHistoryWithinTheBudget) {
  SizedRepo r;
  const auto repo = r.repository();
  LibraryPlan plan(repo, LibraryPlan::Mode::kScorpius, 350);
  plan.replan(2);  // no history yet: nothing planned
  EXPECT_TRUE(plan.refs_on(0).empty());
  const auto g = plan.imports_of(repo->resolve({"app"}), true);  // {app, base, mid}
  plan.imports_of(repo->resolve({"mid"}), true);                 // {base, mid}
  EXPECT_TRUE(plan.replan(2));
  // Exactly Algorithm 1 on the same input (policy/library_placement.h has its hand-checked cases).
  const std::vector<std::int64_t> sizes = {300, 100, 5000, 200};
  const std::vector<std::vector<policy::LibraryId>> history = {g, {1, 3}};
  policy::LibraryPlacementInput in;
  in.size_kb = sizes;
  in.history = history;
  in.servers = 2;
  in.budget_kb = 350;
  const policy::LibraryMatrix expected = policy::place_libraries(policy::LibraryPlacementKind::kScorpius, in);
  for (std::uint32_t k = 0; k < 2; ++k) {
    EXPECT_EQ(plan.matrix().libraries_on(k), expected.libraries_on(k)) << k;
    EXPECT_LE(plan.matrix().stored_kb(k), 350);
    EXPECT_FALSE(plan.matrix().has(k, 2)) << "big is imported by no function";
  }
  EXPECT_FALSE(plan.refs_on(0).empty());
}

// A controller's configuration with the repository of `r` and library plan `plan`.
RemoteDispatcherConfig with_plan(const SizedRepo& r, const std::string& plan) {
  RemoteDispatcherConfig c;
  c.token = testing::kToken;
  c.libraries = r.repository();
  c.library_plan = plan;
  return c;
}

// The raw invoker's frames until one of `type` arrives.
json next_of_type(int fd, const std::string& type) {
  const auto deadline = net::FrameClock::now() + std::chrono::seconds(5);
  std::string payload, error;
  while (testing::recv_frame(fd, &payload, &error, deadline)) {
    const json j = json::parse(payload);
    if (j.value("type", "") == type) return j;
  }
  return json{{"error", "no " + type + ": " + error}};
}

TEST(LibraryPlanWire, SockRowIsSentOnJoin) {
  SizedRepo r;
  RemoteDispatcher controller(with_plan(r, "sock"));
  std::string answer;
  const int fd = testing::raw_invoker(controller.port(), "inv", testing::kToken, &answer);
  ASSERT_NE(answer.find("welcome"), std::string::npos) << answer;
  const json row = next_of_type(fd, "library_prepare");
  ASSERT_TRUE(row.contains("libraries")) << row.dump();
  EXPECT_EQ(names(net::wire::library_refs_from_json(row["libraries"], "test", 16)),
            (std::vector<std::string>{"app", "base", "big", "mid"}));
  close(fd);
  controller.stop();
}

TEST(LibraryPlanWire, ScorpiusRowFollowsTheFirstDispatchOfAFunctionAndPrecedesItsInvoke) {
  SizedRepo r;
  RemoteDispatcherConfig c = with_plan(r, "scorpius");
  c.library_plan_kb = 1 << 20;
  c.placement = "scorpius";
  RemoteDispatcher controller(c);
  std::string answer;
  const int fd = testing::raw_invoker(controller.port(), "inv", testing::kToken, &answer);
  ASSERT_NE(answer.find("welcome"), std::string::npos) << answer;
  ASSERT_EQ(controller.wait_for_invokers(1, 5000), 1);

  net::InvocationRequest req;
  req.action.ns = "guest";
  req.action.name = "f";
  req.action.kind = "python:3";
  req.action.code = std::string("def main(a):\n  return {}\n");
  req.action.revision = 1;
  req.action.libraries = {"mid"};
  req.action.library_refs = c.libraries->resolve({"mid"});
  controller.dispatch(req, [](net::ActivationRecord) {});
  // The row comes first (one connection, in order), then the invoke itself.
  std::string payload, error;
  std::vector<std::string> types;
  const auto deadline = net::FrameClock::now() + std::chrono::seconds(5);
  json row;
  while (types.size() < 8 && testing::recv_frame(fd, &payload, &error, deadline)) {
    const json j = json::parse(payload);
    types.push_back(j.value("type", ""));
    if (types.back() == "library_prepare") row = j;
    if (types.back() == "invoke") break;
  }
  ASSERT_FALSE(row.is_null()) << "no library_prepare before the invoke";
  EXPECT_EQ(names(net::wire::library_refs_from_json(row["libraries"], "test", 16)), (std::vector<std::string>{"base", "mid"}));
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.back(), "invoke");
  close(fd);
  controller.stop();
}

TEST(LibraryPlanWire, ScorpiusPlacementWithoutAPlanIsRefusedClearly) {
  RemoteDispatcherConfig c;
  c.token = testing::kToken;
  c.placement = "scorpius";
  try {
    RemoteDispatcher controller(c);
    ADD_FAILURE() << "a scorpius placement without library data started";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--library-plan"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hearth::controller
