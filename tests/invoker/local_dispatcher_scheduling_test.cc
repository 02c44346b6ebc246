// LocalDispatcher's side of the RequestScheduler and PoolManager contracts (policy/request_scheduler.h,
// policy/pool_manager.h): an invoker's queue drained in the scheduler's order, admission by CPU
// allocation as well as memory, the forced start of an idle node, the hooks fed from activation records,
// and the pool manager's prewarm and terminate on the reaper's tick. The schedulers and the pool manager
// here are small ones with a visible rule, so each case is worked by hand; the real ones (greedy, exact,
// incendio) are the registry's and are tested in tests/policy/ and tests/e2e/incendio_live_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "invoker/local_dispatcher.h"
#include "tests/invoker/fake_factory.h"

namespace hearth::invoker {
namespace {

net::ActionRecord action(const std::string& name, std::int64_t memory = 256) {
  net::ActionRecord a;
  a.ns = "guest";
  a.name = name;
  a.kind = "native";
  a.code = "ok";
  a.memory_mb = memory;
  return a;
}

// What the hooks heard, shared with the test (the dispatcher owns the policy).
struct Heard {
  std::mutex mu;
  std::vector<std::string> arrivals, completions, terminations;
  std::vector<double> cores;
  std::vector<double> pending_cores;  // every pending request's cpu_cores, as select() saw them
  std::vector<std::string> resources;
};

// Every pending request, by the priority its function's name was given (higher first; equal: oldest
// first); or none at all (`wait_always`: a scheduler that always waits for a busy container).
class ByNamePriority final : public policy::RequestScheduler {
 public:
  ByNamePriority(std::map<std::string, double> priority, Heard* heard, bool wait_always = false)
      : priority_(std::move(priority)), heard_(heard), wait_always_(wait_always) {}
  std::string_view name() const override { return "by-name"; }
  void on_function_added(const model::FunctionSpec& fn) override {
    if (names_.size() <= fn.id) names_.resize(fn.id + 1);
    names_[fn.id] = fn.name;
  }
  void on_arrival(const model::Invocation&, const model::FunctionSpec& fn, model::Micros) override {
    std::lock_guard lock(heard_->mu);
    heard_->arrivals.push_back(fn.name);
  }
  void on_completed(const model::Invocation&, const model::FunctionSpec& fn, model::StartKind kind, model::Micros,
                    model::Micros exec_us, model::Micros) override {
    std::lock_guard lock(heard_->mu);
    heard_->completions.push_back(fn.name + ":" + model::start_kind_name(kind) + ":" + std::to_string(exec_us));
  }
  void on_terminated(const model::FunctionSpec& fn, model::Micros term_us) override {
    std::lock_guard lock(heard_->mu);
    heard_->terminations.push_back(fn.name + (term_us >= 0 ? ":timed" : ":negative"));
  }
  void on_resources(const model::FunctionSpec& fn, double cores, model::MegaBytes memory_mb, double io) override {
    std::lock_guard lock(heard_->mu);
    heard_->resources.push_back(fn.name + ":" + std::to_string(memory_mb) + ":" + (cores > 0 ? "cpu" : "idle") + ":" +
                                std::to_string(io));
  }
  std::vector<std::size_t> select(std::span<const policy::PendingRequest> pending, const policy::NodeCapacity& capacity,
                                  model::Micros) override {
    {
      std::lock_guard lock(heard_->mu);
      heard_->cores.push_back(capacity.available_cores);
      for (const policy::PendingRequest& r : pending) heard_->pending_cores.push_back(r.cpu_cores);
    }
    if (wait_always_) return {};
    std::vector<std::size_t> order(pending.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return prio(pending[a].function) > prio(pending[b].function);
    });
    return order;
  }

 private:
  double prio(model::FunctionId fn) const {
    const auto it = priority_.find(names_[fn]);
    return it == priority_.end() ? 0 : it->second;
  }
  std::map<std::string, double> priority_;
  std::vector<std::string> names_;
  Heard* heard_;
  bool wait_always_;
};

using Results = std::vector<std::promise<net::ActivationRecord>>;

void dispatch(LocalDispatcher& d, const net::ActionRecord& a, const char* params, Results& results, std::size_t i) {
  d.dispatch(net::InvocationRequest{a, params, "id" + std::to_string(i), net::wall_us()},
             [&results, i](net::ActivationRecord r) { results[i].set_value(std::move(r)); });
}

// One worker, busy with a held invocation of `x`; then `low` arrives, then `high`. Returns the records
// of low and high once the gate opens.
std::pair<net::ActivationRecord, net::ActivationRecord> low_then_high(LocalDispatcher& d, FakeFactory& factory) {
  Results results(3);
  dispatch(d, action("x"), R"({"hold":1})", results, 0);
  EXPECT_TRUE(eventually([&] { return d.state(0).busy == 1; }));
  dispatch(d, action("low"), "{}", results, 1);
  dispatch(d, action("high"), "{}", results, 2);
  factory.gate.open();
  results[0].get_future().get();
  net::ActivationRecord low = results[1].get_future().get();
  net::ActivationRecord high = results[2].get_future().get();
  return {low, high};
}

// Without a scheduler (fifo, today's path) the queued low-priority invocation starts first: the probe
// the scheduler's case below changes.
TEST(LocalDispatcherScheduling, FifoStartsTheOlderRequestFirst) {
  FakeFactory factory;
  LocalDispatcher d(factory, one_invoker(2048, 1));
  const auto [low, high] = low_then_high(d, factory);
  EXPECT_LT(low.start_us, high.start_us);
  EXPECT_GE(high.start_us, low.end_us);
}

TEST(LocalDispatcherScheduling, TheSchedulerStartsTheHigherPriorityRequestFirst) {
  FakeFactory factory;
  Heard heard;
  InjectedPolicies p;
  p.scheduler = std::make_unique<ByNamePriority>(std::map<std::string, double>{{"guest/low", 1}, {"guest/high", 10}}, &heard);
  LocalDispatcher d(factory, one_invoker(2048, 1), std::move(p));
  const auto [low, high] = low_then_high(d, factory);
  EXPECT_EQ(low.status, "success");
  EXPECT_EQ(high.status, "success");
  EXPECT_LT(high.start_us, low.start_us);
  EXPECT_GE(low.start_us, high.end_us);
  // The hooks: three arrivals; completions with their start kind and the fake's 10 µs run, x first.
  std::lock_guard lock(heard.mu);
  EXPECT_EQ(heard.arrivals, (std::vector<std::string>{"guest/x", "guest/low", "guest/high"}));
  ASSERT_EQ(heard.completions.size(), 3u);
  EXPECT_EQ(heard.completions[0], "guest/x:cold:10");
  EXPECT_EQ(heard.completions[1], "guest/high:cold:10");
  EXPECT_EQ(heard.completions[2], "guest/low:cold:10");
  // What each run used, from the container's (fake) cgroup readings around the run.
  EXPECT_EQ(heard.resources, (std::vector<std::string>{"guest/x:64:cpu:0.000000", "guest/high:64:cpu:0.000000",
                                                       "guest/low:64:cpu:0.000000"}));
  EXPECT_GE(d.stats().schedule_decisions, 2u);
}

// CPU admission: two cores (concurrency 2); a 1024 MB function holds 2 cores (1024/512), so a second
// one waits for the first although a worker and memory are free; fifo would start it at once.
TEST(LocalDispatcherScheduling, AdmitsByCpuAllocationAsWellAsMemory) {
  for (const bool scheduled : {false, true}) {
    FakeFactory factory;
    Heard heard;
    InjectedPolicies p;
    if (scheduled) p.scheduler = std::make_unique<ByNamePriority>(std::map<std::string, double>{}, &heard);
    LocalDispatcher d(factory, one_invoker(4096, 2), std::move(p));
    Results results(2);
    dispatch(d, action("a", 1024), R"({"hold":1})", results, 0);
    dispatch(d, action("b", 1024), R"({"hold":2})", results, 1);
    if (scheduled) {
      ASSERT_TRUE(eventually([&] { return factory.created.load() == 1; }));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      EXPECT_EQ(factory.created.load(), 1) << "the second started beside the first's two cores";
      EXPECT_EQ(d.state(0).busy, 1);
      std::lock_guard lock(heard.mu);
      EXPECT_DOUBLE_EQ(heard.cores.back(), 0.0);  // what the scheduler was told was left
    } else {
      EXPECT_TRUE(eventually([&] { return factory.created.load() == 2; }));
    }
    factory.gate.open();
    EXPECT_EQ(results[0].get_future().get().status, "success");
    EXPECT_EQ(results[1].get_future().get().status, "success");
  }
}

// An action's CPU limit (limits.cpu) is its request's cores in place of memory / 512 MB: two 1024 MB
// functions limited to one core each run side by side on two cores (without limits the second waits,
// above), and two 128 MB functions limited to two cores each (a quarter core each by memory) do not.
TEST(LocalDispatcherScheduling, AdmitsByTheActionsCpuLimitWhenItHasOne) {
  for (const auto& [memory, millicores, together] :
       {std::tuple<std::int64_t, std::int64_t, bool>{1024, 1000, true}, {128, 2000, false}}) {
    FakeFactory factory;
    Heard heard;
    InjectedPolicies p;
    p.scheduler = std::make_unique<ByNamePriority>(std::map<std::string, double>{}, &heard);
    LocalDispatcher d(factory, one_invoker(4096, 2), std::move(p));
    net::ActionRecord a = action("a", memory), b = action("b", memory);
    a.cpu_millicores = b.cpu_millicores = millicores;
    Results results(2);
    dispatch(d, a, R"({"hold":1})", results, 0);
    dispatch(d, b, R"({"hold":2})", results, 1);
    if (together) {
      EXPECT_TRUE(eventually([&] { return factory.created.load() == 2; })) << "the limit did not replace memory / 512 MB";
    } else {
      ASSERT_TRUE(eventually([&] { return factory.created.load() == 1; }));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      EXPECT_EQ(factory.created.load(), 1) << "the second started beside the first's two cores";
    }
    {
      std::lock_guard lock(heard.mu);
      ASSERT_FALSE(heard.pending_cores.empty());
      for (const double c : heard.pending_cores) EXPECT_DOUBLE_EQ(c, static_cast<double>(millicores) / 1000.0);
    }
    factory.gate.open();
    EXPECT_EQ(results[0].get_future().get().status, "success");
    EXPECT_EQ(results[1].get_future().get().status, "success");
  }
}

// A scheduler that always waits still gets every request run: the node runs nothing, so the oldest
// starts (nobody would complete to free anything).
TEST(LocalDispatcherScheduling, AnIdleNodeStartsTheOldestWhenTheSchedulerWaits) {
  FakeFactory factory;
  Heard heard;
  InjectedPolicies p;
  p.scheduler = std::make_unique<ByNamePriority>(std::map<std::string, double>{}, &heard, /*wait_always=*/true);
  LocalDispatcher d(factory, one_invoker(1024, 2), std::move(p));
  Results results(3);
  for (std::size_t i = 0; i < 3; ++i) dispatch(d, action("f"), "{}", results, i);
  for (auto& r : results) EXPECT_EQ(r.get_future().get().status, "success");
  EXPECT_EQ(d.stats().forced_starts, 3u);
}

// Memory: a cold start the scheduler picks evicts idle containers (keep-alive order) when it must, and
// a container's destruction is timed and reported.
TEST(LocalDispatcherScheduling, AColdStartEvictsIdleContainersAndTheirTerminationIsReported) {
  FakeFactory factory;
  Heard heard;
  InjectedPolicies p;
  p.scheduler = std::make_unique<ByNamePriority>(std::map<std::string, double>{}, &heard);
  LocalDispatcher d(factory, one_invoker(512, 2), std::move(p));
  Results results(2);
  dispatch(d, action("a", 512), "{}", results, 0);
  EXPECT_EQ(results[0].get_future().get().start_kind, "cold");
  dispatch(d, action("b", 512), "{}", results, 1);
  EXPECT_EQ(results[1].get_future().get().start_kind, "cold");
  EXPECT_EQ(d.stats().evictions, 1u);
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(heard.mu);
    return heard.terminations == std::vector<std::string>{"guest/a:timed"};
  }));
}

// Prewarms `prewarm` containers of function 0 on node 0 at its first tick after an arrival, then
// terminates `terminate` idle ones about 20 ticks later; hears terminations.
class TwoStepPoolManager final : public policy::PoolManager {
 public:
  TwoStepPoolManager(int prewarm, int terminate, Heard* heard) : prewarm_(prewarm), terminate_(terminate), heard_(heard) {}
  std::string_view name() const override { return "two-step"; }
  model::Micros tick_interval() const override { return 10'000; }
  void on_arrival(const model::Invocation&, model::Micros) override { arrived_ = true; }
  void on_terminated(model::FunctionId fn, model::Micros term_us) override {
    std::lock_guard lock(heard_->mu);
    heard_->terminations.push_back(std::to_string(fn) + (term_us >= 0 ? ":timed" : ":negative"));
  }
  std::vector<policy::PoolAction> on_tick(const model::ClusterView& view, model::Micros) override {
    if (!arrived_ || view.idle_containers(0, 0) == 0) return {};  // after the first run's container idles
    ++step_;
    if (step_ == 1) return {policy::PoolAction{0, 0, prewarm_, 0}};
    if (step_ == 20) return {policy::PoolAction{0, 0, 0, terminate_}};
    return {};
  }

 private:
  int prewarm_, terminate_, step_ = 0;
  bool arrived_ = false;
  Heard* heard_;
};

TEST(LocalDispatcherScheduling, ThePoolManagerPrewarmsWithinFreeMemoryAndTerminatesIdleContainers) {
  FakeFactory factory;
  Heard heard;
  InjectedPolicies p;
  // Asks for 5 more containers of 256 MB in 1024 MB with one idle: 3 fit without evicting.
  p.pool_manager = std::make_unique<TwoStepPoolManager>(5, 2, &heard);
  LocalDispatcher d(factory, one_invoker(1024, 2), std::move(p));
  Results results(2);
  dispatch(d, action("f"), "{}", results, 0);
  EXPECT_EQ(results[0].get_future().get().start_kind, "cold");
  ASSERT_TRUE(eventually([&] { return d.stats().pool_prewarmed == 3; }));
  EXPECT_EQ(d.idle_per_invoker(), std::vector<int>{4});
  EXPECT_EQ(d.state(0).used_mb, 1024);
  ASSERT_TRUE(eventually([&] { return d.stats().pool_terminated == 2; }));
  EXPECT_EQ(d.idle_per_invoker(), std::vector<int>{2});
  EXPECT_TRUE(eventually([&] {
    std::lock_guard lock(heard.mu);
    return heard.terminations == std::vector<std::string>{"0:timed", "0:timed"};
  }));
  dispatch(d, action("f"), "{}", results, 1);  // a prewarmed (or kept) container: warm
  EXPECT_EQ(results[1].get_future().get().start_kind, "warm");
  EXPECT_EQ(factory.created.load(), 4);
}

// freshen on a predicted arrival (docs/freshen.md): each container the pool manager prewarms is told to
// run the hook once it is idle; without --freshen (timeout 0) none is.
TEST(LocalDispatcherScheduling, ContainersPrewarmedForAPredictedArrivalRunTheHook) {
  for (const std::int64_t freshen_ms : {0, 1000}) {
    FakeFactory factory;
    Heard heard;
    InjectedPolicies p;
    p.pool_manager = std::make_unique<TwoStepPoolManager>(2, 0, &heard);
    LocalDispatcherConfig c = one_invoker(1024, 2);
    c.freshen_timeout_ms = freshen_ms;
    LocalDispatcher d(factory, c, std::move(p));
    Results results(1);
    dispatch(d, action("f"), "{}", results, 0);
    EXPECT_EQ(results[0].get_future().get().start_kind, "cold");
    ASSERT_TRUE(eventually([&] { return d.stats().pool_prewarmed == 2; }));
    if (freshen_ms > 0) {
      EXPECT_TRUE(eventually([&] { return factory.freshened.load() == 2; }));
      EXPECT_EQ(d.stats().freshen_started, 2u);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // several ticks
      EXPECT_EQ(factory.freshened.load(), 0);
    }
    EXPECT_EQ(d.idle_per_invoker(), std::vector<int>{3});  // every container back in the pool
  }
}

// Stopping ends what still waits in the queue, once, with an error.
TEST(LocalDispatcherScheduling, StoppingEndsQueuedInvocations) {
  FakeFactory factory;
  Heard heard;
  InjectedPolicies p;
  p.scheduler = std::make_unique<ByNamePriority>(std::map<std::string, double>{}, &heard);
  auto d = std::make_unique<LocalDispatcher>(factory, one_invoker(1024, 1), std::move(p));
  Results results(2);
  dispatch(*d, action("f"), R"({"hold":1})", results, 0);
  ASSERT_TRUE(eventually([&] { return d->state(0).busy == 1; }));
  dispatch(*d, action("g"), "{}", results, 1);
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    factory.gate.open();
  });
  d->stop();
  opener.join();
  EXPECT_EQ(results[0].get_future().get().status, "success");
  const auto queued = results[1].get_future().get();
  EXPECT_EQ(queued.status, "whisk internal error");
}


// The queue timeout: `g` waits behind a held `f` on the only worker. Without a timeout it still waits
// after several reap intervals (the probe); with 150 ms it ends with OpenWhisk's whisk error, counted once,
// and the worker's invocation is untouched.
TEST(LocalDispatcherScheduling, AQueuedInvocationPastTheQueueTimeoutEndsWithAWhiskError) {
  for (const model::Micros timeout_us : {model::Micros{0}, 150 * model::kMicrosPerMilli}) {
    SCOPED_TRACE(timeout_us);
    FakeFactory factory;
    Heard heard;
    InjectedPolicies p;
    p.scheduler = std::make_unique<ByNamePriority>(std::map<std::string, double>{}, &heard, /*wait_always=*/true);
    LocalDispatcherConfig config = one_invoker(1024, 1);
    config.reap_interval_ms = 20;
    config.queue_timeout_us = timeout_us;
    LocalDispatcher d(factory, config, std::move(p));
    Results results(2);
    dispatch(d, action("f"), R"({"hold":1})", results, 0);
    ASSERT_TRUE(eventually([&] { return d.state(0).busy == 1; }));
    dispatch(d, action("g"), "{}", results, 1);
    auto queued = results[1].get_future();
    const bool ended = queued.wait_for(std::chrono::milliseconds(1500)) == std::future_status::ready;
    if (timeout_us == 0) {
      EXPECT_FALSE(ended);  // the probe: without a timeout it waits as long as f holds the worker
      EXPECT_EQ(d.stats().queue_timeouts, 0u);
      factory.gate.open();
      EXPECT_EQ(queued.get().status, "success");
    } else {
      ASSERT_TRUE(ended);
      const net::ActivationRecord r = queued.get();
      EXPECT_EQ(r.status, "whisk internal error");
      EXPECT_NE(r.result_json.find("Activation processing is not initiated for 150 ms"), std::string::npos)
          << r.result_json;
      EXPECT_EQ(d.stats().queue_timeouts, 1u);
      factory.gate.open();
    }
    EXPECT_EQ(results[0].get_future().get().status, "success");
  }
}

}  // namespace
}  // namespace hearth::invoker
