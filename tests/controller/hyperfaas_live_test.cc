// HyperFaaS live: a controller (RemoteDispatcher) and 3 invokers (InvokerAgent) over the wire on
// 127.0.0.1, with real Python runtimes. Under `--scaling hyperfaas` a burst on a function with one warm
// container is absorbed by phase 1: the container forks more workers in place and runs the whole burst at
// once, with no new container; without a scaling policy the same burst starts a container per excess
// invocation. Concurrency is proven with a barrier (every run waits, bounded, until all have started).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "invoker/invoker_agent.h"
#include "invoker/local_dispatcher.h"
#include "controller/remote_dispatcher.h"
#include "invoker/runtime_container_factory.h"
#include "tests/controller/real_agent.h"
#include "tests/trace/temp_dir.h"

namespace hearth::controller {
namespace {

using nlohmann::json;

const std::string kToken(64, 't');

constexpr const char* kBarrier = R"(import os, time
def main(a):
    os.makedirs(a['dir'], exist_ok=True)
    open(os.path.join(a['dir'], '%d-%d' % (os.getpid(), a['i'])), 'w').close()
    deadline = time.time() + 20
    while len(os.listdir(a['dir'])) < a['n']:
        if time.time() > deadline:
            raise RuntimeError('the other runs never started: not concurrent')
        time.sleep(0.002)
    return {'pid': os.getpid()}
)";

// An agent of the burst tests: `scaling` and up to 8 workers per container.
struct RealAgent : testing::RealAgent {
  RealAgent(std::uint16_t controller_port, const std::string& name, const std::string& scaling, const std::string& code_dir)
      : testing::RealAgent(controller_port, name, kToken, code_dir, [&](invoker::InvokerAgentConfig& c) {
          c.pool.scaling = scaling;
          c.pool.max_workers = 8;
        }) {}
};

net::ActionRecord barrier_action() {
  net::ActionRecord a = testing::python_action("burst", kBarrier);
  a.timeout_ms = 30000;
  return a;
}

// Runs `n` invocations at once, all meeting at a fresh barrier directory; returns their records.
std::vector<net::ActivationRecord> burst(RemoteDispatcher& d, const std::string& barrier, int n) {
  std::vector<std::future<net::ActivationRecord>> futures;
  for (int i = 0; i < n; ++i) {
    auto p = std::make_shared<std::promise<net::ActivationRecord>>();
    futures.push_back(p->get_future());
    const std::string params = json{{"dir", barrier}, {"n", n}, {"i", i}}.dump();
    d.dispatch(net::InvocationRequest{barrier_action(), params, "burst-" + std::to_string(i), 0},
               [p](net::ActivationRecord r) { p->set_value(std::move(r)); });
  }
  std::vector<net::ActivationRecord> out;
  for (auto& f : futures) out.push_back(f.get());
  return out;
}

struct Observed {
  std::set<std::string> containers, invokers;
  std::set<int> pids;
  int cold = 0;
};

Observed observe(const std::vector<net::ActivationRecord>& records) {
  Observed o;
  for (const net::ActivationRecord& r : records) {
    EXPECT_EQ(r.status, "success") << r.result_json;
    o.containers.insert(r.invoker + "/" + r.container);  // container ids are per invoker
    o.invokers.insert(r.invoker);
    o.cold += r.start_kind == "cold";
    const json j = json::parse(r.result_json, nullptr, false);
    if (j.is_object() && j.contains("pid")) o.pids.insert(j["pid"].get<int>());
  }
  return o;
}

class HyperFaaSLive : public ::testing::TestWithParam<const char*> {};
INSTANTIATE_TEST_SUITE_P(Scaling, HyperFaaSLive, ::testing::Values("hyperfaas:slots=1,max_slots=8", "none"));

TEST_P(HyperFaaSLive, ABurstOnAWarmFunction) {
  const std::string scaling = GetParam();
  hearth::testing::TempDir dir;
  RemoteDispatcher d(RemoteDispatcherConfig{.token = kToken});
  RealAgent a(d.port(), "a", scaling, dir.str() + "/code-a"), b(d.port(), "b", scaling, dir.str() + "/code-b"),
      c(d.port(), "c", scaling, dir.str() + "/code-c");
  ASSERT_EQ(d.wait_for_invokers(3, 5000), 3);

  const Observed first = observe(burst(d, dir.str() + "/warmup", 1));  // one container, warm afterwards
  ASSERT_EQ(first.containers.size(), 1u);
  EXPECT_EQ(first.cold, 1);

  constexpr int kBurst = 6;
  const Observed o = observe(burst(d, dir.str() + "/burst", kBurst));
  EXPECT_EQ(o.pids.size(), static_cast<std::size_t>(kBurst)) << "every run in its own process, all at once";
  if (scaling == "none") {
    // OpenWhisk: one invocation per container, so the burst cold-starts a container per excess invocation.
    std::string seen;
    for (const std::string& c : o.containers) seen += c + " ";
    EXPECT_EQ(o.containers.size(), static_cast<std::size_t>(kBurst)) << seen << "cold " << o.cold;
    EXPECT_GE(o.cold, kBurst - 1);
  } else {
    // Phase 1: the warm container took the whole burst, its workers forked in place.
    EXPECT_EQ(o.containers, first.containers);
    EXPECT_EQ(o.invokers, first.invokers);
    EXPECT_EQ(o.cold, 0);
  }
}

// Container sharing: a function that has never run borrows a spare worker of another function's warm
// container (its code loaded into that worker) instead of cold-starting a runtime of its own.
TEST(HyperFaaSSharing, ANewFunctionBorrowsAWorkerOfAWarmContainer) {
  hearth::testing::TempDir dir;
  invoker::RuntimeContainerFactory factory(dir.str() + "/code", /*sandboxed=*/false, 0);
  invoker::LocalDispatcherConfig c;
  c.keepalive = "ttl:10m";
  c.scaling = "hyperfaas:slots=1,max_slots=4";
  c.share_containers = true;
  c.max_workers = 4;
  invoker::LocalDispatcher d(factory, c);
  auto invoke = [&](const std::string& name, const std::string& code) {
    const net::ActionRecord a = testing::python_action(name, code);
    std::promise<net::ActivationRecord> p;
    d.dispatch(net::InvocationRequest{a, "{}", name, 0}, [&p](net::ActivationRecord r) { p.set_value(std::move(r)); });
    return p.get_future().get();
  };
  const net::ActivationRecord a1 = invoke("a", "import os\ndef main(x):\n    return {'fn': 'a', 'pid': os.getpid()}\n");
  ASSERT_EQ(a1.status, "success") << a1.result_json;
  EXPECT_EQ(a1.start_kind, "cold");
  const net::ActivationRecord b1 = invoke("b", "import os\ndef main(x):\n    return {'fn': 'b', 'pid': os.getpid()}\n");
  ASSERT_EQ(b1.status, "success") << b1.result_json;
  EXPECT_EQ(b1.start_kind, "prewarm");     // a generic worker specialised, not a new runtime
  EXPECT_EQ(b1.container, a1.container);  // inside a's container
  const json a = json::parse(a1.result_json), b = json::parse(b1.result_json);
  EXPECT_EQ(b["fn"], "b");
  EXPECT_NE(b["pid"], a["pid"]);  // its own worker process
  const net::ActivationRecord a2 = invoke("a", "import os\ndef main(x):\n    return {'fn': 'a', 'pid': os.getpid()}\n");
  EXPECT_EQ(json::parse(a2.result_json)["fn"], "a");  // the host's own workers still run a
  EXPECT_EQ(d.stats().shared_workers, 1u);
  EXPECT_EQ(d.stats().scaled_containers, 1u);  // one runtime for both functions
}

}  // namespace
}  // namespace hearth::controller
