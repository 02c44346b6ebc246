// The request schedulers (policy/request_schedulers.h) and the SLO guard (policy/slo_guard.h) on
// hand-worked queues, with fixed priorities per function.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "policy/incendio_scheduler.h"
#include "policy/priority_model.h"
#include "policy/registry.h"
#include "policy/request_schedulers.h"
#include "policy/slo_guard.h"

namespace hearth::policy {
namespace {

using model::millis;

// A knapsack scheduler with fixed priorities per function (the Function Info Table's part is tested
// with IncendioScheduler).
class FixedPriorityScheduler final : public KnapsackScheduler {
 public:
  FixedPriorityScheduler(KnapsackSchedulerConfig c, std::map<model::FunctionId, double> p)
      : KnapsackScheduler(std::move(c)), p_(std::move(p)) {}

 protected:
  double priority(model::FunctionId fn, model::Micros) override {
    ++asked;
    return p_.at(fn);
  }

 public:
  int asked = 0;

 private:
  std::map<model::FunctionId, double> p_;
};

model::FunctionSpec spec(model::FunctionId id, model::Micros cold_us) {
  model::FunctionSpec f;
  f.id = id;
  f.memory_mb = 256;
  f.cold_start_us = cold_us;
  return f;
}

PendingRequest req(model::InvocationId id, model::FunctionId fn, model::Micros arrival, model::MegaBytes mb,
                   double cores, bool warm = false) {
  PendingRequest r;
  r.id = id;
  r.function = fn;
  r.arrival_us = arrival;
  r.memory_mb = mb;
  r.cpu_cores = cores;
  r.warm = warm;
  return r;
}

TEST(SloGuard, SloIsTheLargerOfTheDefaultAndTheColdStartFraction) {
  const SloGuard g(SloGuardConfig{});
  // The paper's example with its 500 ms default: cold start 2,000 ms → max(500, 600) = 600 ms.
  EXPECT_EQ(g.slo_us(millis(2000)), millis(600));
  EXPECT_EQ(g.slo_us(millis(1000)), millis(500));  // 30 % = 300 ms < 500 ms
  // Urgent from 90 % of the SLO on: 540 ms of 600.
  EXPECT_EQ(g.urgent_after_us(millis(2000)), millis(540));
  EXPECT_FALSE(g.urgent(millis(539), millis(2000)));
  EXPECT_TRUE(g.urgent(millis(540), millis(2000)));
  const SloGuard strict(SloGuardConfig{millis(100), 0.5, 1.0});
  EXPECT_EQ(strict.slo_us(millis(1000)), millis(500));
  EXPECT_TRUE(strict.urgent(millis(500), millis(1000)));
  EXPECT_FALSE(strict.urgent(millis(499), millis(1000)));
}

TEST(SloGuard, BadConstantsAreRefusedByName) {
  EXPECT_THROW(SloGuard(SloGuardConfig{-1, 0.3, 0.9}), std::invalid_argument);
  try {
    SloGuard(SloGuardConfig{millis(500), 1.5, 0.9});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("slo-fraction"), std::string::npos);
  }
  EXPECT_THROW(SloGuard(SloGuardConfig{millis(500), 0.3, -0.1}), std::invalid_argument);
}

TEST(FifoScheduler, OldestFirstStoppingAtTheFirstThatDoesNotFit) {
  FifoScheduler s;
  const std::vector<PendingRequest> q = {req(1, 0, 0, 300, 1), req(2, 1, 1, 500, 1), req(3, 2, 2, 100, 1)};
  // 700 MB: the first (300), the second would need 800 → stop; the third (which would fit) waits too.
  EXPECT_EQ(s.select(q, {700, 8}, 10), (std::vector<std::size_t>{0}));
  EXPECT_EQ(s.select(q, {900, 8}, 10), (std::vector<std::size_t>{0, 1, 2}));
  // CPU binds: 2 cores for three 1-core requests.
  EXPECT_EQ(s.select(q, {900, 2}, 10), (std::vector<std::size_t>{0, 1}));
}

TEST(KnapsackScheduler, HighPriorityOverOlderLowPriorityOnAFullNode) {
  // Room for one 512 MB request; the older is of function 0 (priority 1), the newer of 1 (priority 5).
  FixedPriorityScheduler s({"greedy", KnapsackSolverKind::kGreedy, std::nullopt}, {{0, 1.0}, {1, 5.0}});
  const std::vector<PendingRequest> q = {req(1, 0, 0, 512, 1), req(2, 1, 10, 512, 1)};
  EXPECT_EQ(s.select(q, {512, 4}, 100), (std::vector<std::size_t>{1}));
  // FIFO on the same queue takes the older.
  FifoScheduler f;
  EXPECT_EQ(f.select(q, {512, 4}, 100), (std::vector<std::size_t>{0}));
}

TEST(KnapsackScheduler, ExactFindsThePairGreedyMisses) {
  // 1,000 MB. Function 0: 600 MB, priority 6 (density 6/0.6 = 10 with CPU weightless). Function 1: 500 MB,
  // priority 5 (10 as well): greedy takes the older 600 MB one, then nothing fits; exact takes both 500s.
  const std::map<model::FunctionId, double> p = {{0, 6.0}, {1, 5.0}};
  const std::vector<PendingRequest> q = {req(1, 0, 0, 600, 0), req(2, 1, 1, 500, 0), req(3, 1, 2, 500, 0)};
  FixedPriorityScheduler g({"greedy", KnapsackSolverKind::kGreedy, std::nullopt}, p);
  FixedPriorityScheduler e({"exact", KnapsackSolverKind::kExact, std::nullopt}, p);
  EXPECT_EQ(g.select(q, {1000, 4}, 10), (std::vector<std::size_t>{0}));
  EXPECT_EQ(e.select(q, {1000, 4}, 10), (std::vector<std::size_t>{1, 2}));
  // Priorities are asked once per function per decision.
  EXPECT_EQ(e.asked, 2);
}

TEST(KnapsackScheduler, WarmRequestsStartFirstThenByPriority) {
  FixedPriorityScheduler s({"greedy", KnapsackSolverKind::kGreedy, std::nullopt}, {{0, 1.0}, {1, 5.0}, {2, 3.0}});
  const std::vector<PendingRequest> q = {req(1, 0, 0, 100, 0.5, /*warm=*/true), req(2, 1, 1, 100, 0.5),
                                         req(3, 2, 2, 100, 0.5)};
  EXPECT_EQ(s.select(q, {1000, 4}, 10), (std::vector<std::size_t>{0, 1, 2}));
}

TEST(KnapsackScheduler, TimedOutRequestsAreNotChosen) {
  KnapsackSchedulerConfig c{"greedy", KnapsackSolverKind::kGreedy, std::nullopt, /*timeout_us=*/millis(100)};
  FixedPriorityScheduler s(c, {{0, 9.0}, {1, 1.0}});
  const std::vector<PendingRequest> q = {req(1, 0, 0, 512, 1), req(2, 1, millis(50), 512, 1)};
  // At 120 ms the first waited 120 > 100 ms: only the second is eligible. At 100 ms both are: 9 wins.
  EXPECT_EQ(s.select(q, {512, 4}, millis(120)), (std::vector<std::size_t>{1}));
  EXPECT_EQ(s.select(q, {512, 4}, millis(100)), (std::vector<std::size_t>{0}));
}

TEST(KnapsackScheduler, SloGuardRunsTheStarvingLowPriorityRequestFirst) {
  // The same full node as above: without the guard the newer high-priority request wins; once the older
  // low-priority one has waited 90 % of its SLO (cold start 1 s → SLO 500 ms → urgent at 450 ms) it goes first.
  const std::map<model::FunctionId, double> p = {{0, 1.0}, {1, 5.0}};
  KnapsackSchedulerConfig c{"incendio", KnapsackSolverKind::kGreedy, SloGuardConfig{}};
  FixedPriorityScheduler guarded(c, p);
  guarded.on_function_added(spec(0, millis(1000)));
  guarded.on_function_added(spec(1, millis(1000)));
  FixedPriorityScheduler plain({"greedy", KnapsackSolverKind::kGreedy, std::nullopt}, p);
  const std::vector<PendingRequest> q = {req(1, 0, 0, 512, 1), req(2, 1, millis(400), 512, 1)};
  EXPECT_EQ(guarded.select(q, {512, 4}, millis(449)), (std::vector<std::size_t>{1}));
  EXPECT_EQ(guarded.select(q, {512, 4}, millis(450)), (std::vector<std::size_t>{0}));
  EXPECT_EQ(plain.select(q, {512, 4}, millis(450)), (std::vector<std::size_t>{1}));
}

TEST(KnapsackScheduler, AnUrgentRequestThatDoesNotFitBlocksTheRest) {
  const std::map<model::FunctionId, double> p = {{0, 1.0}, {1, 5.0}};
  FixedPriorityScheduler s({"incendio", KnapsackSolverKind::kGreedy, SloGuardConfig{}}, p);
  s.on_function_added(spec(0, 0));
  s.on_function_added(spec(1, 0));
  // The urgent request needs 1,024 MB, 600 are free: the small high-priority one that would fit waits.
  const std::vector<PendingRequest> q = {req(1, 0, 0, 1024, 1), req(2, 1, millis(500), 128, 1)};
  EXPECT_TRUE(s.select(q, {600, 4}, millis(500)).empty());
  EXPECT_EQ(s.select(q, {1024, 4}, millis(500)), (std::vector<std::size_t>{0}));
}

TEST(IncendioScheduler, MeasuredResourcesReachItsFunctionInfoTable) {
  // The live platform reports what an activation used (cgroups); without the override the row would keep
  // the allocation (256 MB, 0.5 cores by the 512 MB = 1 core rule).
  IncendioScheduler s(KnapsackSchedulerConfig{"incendio", KnapsackSolverKind::kGreedy, SloGuardConfig{}},
                      make_priority_model("param2"));
  const model::FunctionSpec f = spec(0, millis(100));
  s.on_function_added(f);
  EXPECT_EQ(s.table().row(0, 0).memory_mb, 256);
  s.on_resources(f, 0.25, 100, 0.5);
  EXPECT_EQ(s.table().row(0, 0).memory_mb, 100);
  EXPECT_DOUBLE_EQ(s.table().row(0, 0).cpu_cores, 0.25);
  EXPECT_DOUBLE_EQ(s.table().row(0, 0).io_share, 0.5);
}

TEST(SchedulerRegistry, BuildsEverySchedulerByNameAndRefusesBadSpecs) {
  PolicyContext ctx;
  for (const char* spec : {"fifo", "greedy", "exact", "incendio", "incendio:priority=param4,solver=exact,slo=1s",
                           "greedy:priority=linear:init=0.5;exec=0.5"})
    EXPECT_NE(make_request_scheduler(spec, ctx), nullptr) << spec;
  EXPECT_EQ(make_request_scheduler("incendio", ctx)->name(), "incendio");
  const auto message = [&](const char* spec) {
    try {
      make_request_scheduler(spec, ctx);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("incendio:solver=magic").find("solver 'magic'"), std::string::npos);
  EXPECT_NE(message("greedy:priority=param9").find("scheduler 'greedy': priority"), std::string::npos);
  EXPECT_NE(message("incendio:slo-fraction=2").find("slo-fraction"), std::string::npos);
  EXPECT_NE(message("lottery").find("unknown scheduler policy 'lottery'"), std::string::npos);
  EXPECT_NE(message("exact:budget=0").find("budget"), std::string::npos);
}

// A scheduler registered from outside hearth_policy (as the CRL's library does): listed, its spec parsed
// against its parameters, built by make_request_scheduler.
TEST(SchedulerRegistry, AnOutsideSchedulerRegistersByName) {
  static std::string seen;
  register_request_scheduler(
      PolicyInfo{PolicyKind::kScheduler, "test-outside", "a test's scheduler", {{"model", ParamType::kString, "m0", "dir"}}},
      [](const PolicySpec& spec, const PolicyContext&) -> std::unique_ptr<RequestScheduler> {
        seen = spec.params.get_string("model");
        return std::make_unique<FifoScheduler>();
      });
  bool listed = false;
  for (const PolicyInfo& p : all_policies()) listed |= p.kind == PolicyKind::kScheduler && p.name == "test-outside";
  EXPECT_TRUE(listed);
  EXPECT_NE(make_request_scheduler("test-outside:model=/tmp/m1", PolicyContext{}), nullptr);
  EXPECT_EQ(seen, "/tmp/m1");
  EXPECT_THROW(make_request_scheduler("test-outside:depth=3", PolicyContext{}), std::invalid_argument);
  // Names are unique, and only schedulers register here.
  const auto factory = [](const PolicySpec&, const PolicyContext&) -> std::unique_ptr<RequestScheduler> {
    return std::make_unique<FifoScheduler>();
  };
  EXPECT_THROW(register_request_scheduler(PolicyInfo{PolicyKind::kScheduler, "greedy", "", {}}, factory),
               std::invalid_argument);
  EXPECT_THROW(register_request_scheduler(PolicyInfo{PolicyKind::kKeepAlive, "x", "", {}}, factory),
               std::invalid_argument);
}

}  // namespace
}  // namespace hearth::policy
