// Workers: one runtime process serving several invocations at once (HyperFaaS's concurrency > 1 in one
// container). Concurrency is proven with a barrier, not with timing: every run waits (bounded) until all
// of them have started, so serialised runs would fail.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "runtime/runtime_process.h"
#include "tests/trace/temp_dir.h"

namespace hearth::runtime {
namespace {

using nlohmann::json;

constexpr const char* kPythonBarrier = R"(import os, time
def main(a):
    open(os.path.join(a['dir'], str(os.getpid()) + '-' + str(a['i'])), 'w').close()
    deadline = time.time() + 10
    while len(os.listdir(a['dir'])) < a['n']:
        if time.time() > deadline:
            raise RuntimeError('the other runs never started: not concurrent')
        time.sleep(0.002)
    print('run', a['i'])
    return {'pid': os.getpid(), 'i': a['i']}
)";

constexpr const char* kNodeBarrier = R"(const fs = require('fs');
const path = require('path');
async function main(a) {
  fs.writeFileSync(path.join(a.dir, String(a.i)), '');
  const deadline = Date.now() + 10000;
  while (fs.readdirSync(a.dir).length < a.n) {
    if (Date.now() > deadline) throw new Error('the other runs never started: not concurrent');
    await new Promise((r) => setTimeout(r, 2));
  }
  console.log('run', a.i);
  return { pid: process.pid, i: a.i };
}
)";

struct WorkersFixture : ::testing::Test {
  hearth::testing::TempDir dir;
  std::string code(const std::string& name, const std::string& text) {
    dir.write(name, text);
    return dir.str() + "/" + name;
  }
  // Runs `n` invocations at once, one per worker 1..n, all meeting at a barrier directory.
  std::vector<RunResult> run_together(RuntimeProcess& p, int n) {
    const std::string barrier = dir.str() + "/barrier";
    std::filesystem::create_directories(barrier);
    std::vector<RunResult> results(static_cast<std::size_t>(n));
    std::vector<std::thread> threads;
    for (int i = 1; i <= n; ++i)
      threads.emplace_back([&, i] {
        results[static_cast<std::size_t>(i - 1)] = p.run(json{{"dir", barrier}, {"n", n}, {"i", i}}.dump(), 20000, i);
      });
    for (auto& t : threads) t.join();
    return results;
  }
};

bool gone(pid_t pid) {
  // Killed workers may linger as zombies until their reaper runs; either way they no longer run.
  for (int i = 0; i < 200; ++i) {
    if (::kill(pid, 0) != 0) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_field, comm, state;
    stat >> pid_field >> comm >> state;
    if (state == "Z" || state.empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_F(WorkersFixture, PythonWorkersAreForkedProcessesRunningConcurrently) {
  ProcessOptions options;
  options.max_workers = 3;
  RuntimeProcess p(Language::kPython, options);
  ASSERT_TRUE(p.init(code("main.py", kPythonBarrier), "main", 5000).ok);
  EXPECT_EQ(p.workers(), 0);
  const RunResult added = p.add_workers(3, 5000);
  ASSERT_TRUE(added.ok) << added.error;
  EXPECT_EQ(p.workers(), 3);
  std::set<int> pids;
  for (const RunResult& r : run_together(p, 3)) {
    ASSERT_TRUE(r.ok) << r.error;
    const json j = json::parse(r.result_json);
    pids.insert(j["pid"].get<int>());
    ASSERT_EQ(r.logs.size(), 1u);  // each worker captures only its own run's output
    EXPECT_EQ(r.logs[0], "run " + std::to_string(j["i"].get<int>()));
  }
  EXPECT_EQ(pids.size(), 3u);
  EXPECT_EQ(pids.count(p.pid()), 0u);  // workers are children, the parent only takes control requests
  EXPECT_FALSE(p.broken());
}

TEST_F(WorkersFixture, NodeWorkersOverlapOnTheEventLoop) {
  ProcessOptions options;
  options.max_workers = 2;
  RuntimeProcess p(Language::kNodejs, options);
  ASSERT_TRUE(p.init(code("main.js", kNodeBarrier), "main", 10000).ok);
  ASSERT_TRUE(p.add_workers(2, 5000).ok);
  for (const RunResult& r : run_together(p, 2)) {
    ASSERT_TRUE(r.ok) << r.error;
    const json j = json::parse(r.result_json);
    ASSERT_EQ(r.logs.size(), 1u);  // attributed to its own run although both ran at once
    EXPECT_EQ(r.logs[0], "run " + std::to_string(j["i"].get<int>()));
  }
}

TEST_F(WorkersFixture, NativeWorkersRunTheLoadedLibrary) {
  ProcessOptions options;
  options.max_workers = 2;
  RuntimeProcess p(Language::kNative, options);
  ASSERT_TRUE(p.init(HEARTH_NATIVE_NOOP, "main", 5000).ok);
  ASSERT_TRUE(p.add_workers(2, 5000).ok);
  for (int worker = 1; worker <= 2; ++worker) {
    const RunResult r = p.run(R"({"x":1})", 5000, worker);
    EXPECT_TRUE(r.ok) << r.error;
  }
}

// Container sharing: one worker of a Python container is specialised to a second function's source
// and runs it, while the other workers keep running the first function.
TEST_F(WorkersFixture, AWorkerCanBeSpecialisedToASecondFunction) {
  for (Language language : {Language::kPython, Language::kNodejs}) {
    ProcessOptions options;
    options.max_workers = 2;
    RuntimeProcess p(language, options);
    const bool py = language == Language::kPython;
    ASSERT_TRUE(p.init(code(py ? "a.py" : "a.js", py ? "def main(a):\n    return {'fn': 'a'}\n"
                                                     : "function main(p) { return { fn: 'a' }; }\n"),
                       "main", 10000)
                    .ok);
    ASSERT_TRUE(p.add_workers(2, 5000).ok);
    const RunResult shared = p.init_worker(2, py ? "def main(a):\n    return {'fn': 'b'}\n"
                                                 : "function main(p) { return { fn: 'b' }; }\n",
                                           "main", 5000);
    ASSERT_TRUE(shared.ok) << shared.error;
    EXPECT_EQ(json::parse(p.run("{}", 5000, 1).result_json)["fn"], "a");
    EXPECT_EQ(json::parse(p.run("{}", 5000, 2).result_json)["fn"], "b");
    EXPECT_FALSE(p.init_worker(3, "x", "main", 5000).ok);  // no such worker
  }
}

TEST_F(WorkersFixture, BadWorkerRequestsAreErrorsAndLeaveTheProcessUsable) {
  RuntimeProcess single(Language::kPython);
  ASSERT_TRUE(single.init(code("one.py", "def main(a):\n    return {}\n"), "main", 5000).ok);
  const RunResult none = single.add_workers(2, 5000);
  EXPECT_FALSE(none.ok);
  EXPECT_NE(none.error.find("max_workers 1"), std::string::npos) << none.error;
  EXPECT_FALSE(single.run("{}", 5000, 1).ok);  // no worker 1
  EXPECT_TRUE(single.run("{}", 5000).ok);

  ProcessOptions options;
  options.max_workers = 2;
  RuntimeProcess p(Language::kPython, options);
  const RunResult early = p.add_workers(2, 5000);  // before init: nothing to fork
  EXPECT_FALSE(early.ok);
  EXPECT_NE(early.error.find("successful init"), std::string::npos) << early.error;
  EXPECT_FALSE(p.broken());
  EXPECT_FALSE(p.add_workers(3, 5000).ok);  // above max_workers
  ProcessOptions too_many;
  too_many.max_workers = kMaxWorkers + 1;
  EXPECT_THROW(RuntimeProcess(Language::kPython, too_many), std::invalid_argument);
}

TEST_F(WorkersFixture, ATimedOutWorkerTakesTheWholeContainerDown) {
  ProcessOptions options;
  options.max_workers = 2;
  RuntimeProcess p(Language::kPython, options);
  ASSERT_TRUE(p.init(code("main.py", "import os, time\ndef main(a):\n    if a.get('sleep'):\n        time.sleep(30)\n"
                                     "    return {'pid': os.getpid()}\n"),
                     "main", 5000)
                  .ok);
  ASSERT_TRUE(p.add_workers(2, 5000).ok);
  const RunResult other = p.run("{}", 5000, 2);
  ASSERT_TRUE(other.ok) << other.error;
  const pid_t worker2 = json::parse(other.result_json)["pid"].get<int>();
  const RunResult slow = p.run(R"({"sleep":true})", 200, 1);
  EXPECT_TRUE(slow.timed_out);
  EXPECT_TRUE(p.broken());
  EXPECT_TRUE(gone(worker2)) << "worker " << worker2 << " still runs after its container was killed";
  EXPECT_FALSE(p.run("{}", 5000, 2).ok);
}

// A worker that dies is a crash, seen at once as EOF on its channel: no other process of the runtime
// (the parent, a sibling worker, a stray copy from the start) may hold that channel's write end, or the
// run waits out its whole time limit and is reported as a timeout.
TEST_F(WorkersFixture, APythonWorkerThatDiesIsACrashNotATimeout) {
  ProcessOptions options;
  options.max_workers = 2;
  RuntimeProcess p(Language::kPython, options);
  ASSERT_TRUE(p.init(code("main.py", "import os\ndef main(a):\n    if a.get('die'):\n        os._exit(3)\n"
                                     "    return {}\n"),
                     "main", 5000)
                  .ok);
  ASSERT_TRUE(p.add_workers(2, 5000).ok);
  const RunResult r = p.run(R"({"die":true})", 8000, 1);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.crashed) << r.error;
  EXPECT_FALSE(r.timed_out) << r.error;
  EXPECT_TRUE(p.broken());
}

TEST_F(WorkersFixture, ANativeWorkerThatCrashesIsACrashNotATimeout) {
  ProcessOptions options;
  options.max_workers = 2;
  RuntimeProcess p(Language::kNative, options);
  ASSERT_TRUE(p.init(HEARTH_NATIVE_NOOP, "main", 5000).ok);
  ASSERT_TRUE(p.add_workers(2, 5000).ok);
  const RunResult r = p.run(R"({"crash":1})", 8000, 2);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.crashed) << r.error;
  EXPECT_FALSE(r.timed_out) << r.error;
}

// A function in a worker sees its own child processes' exit statuses, as it would in the runtime itself
// (the parent ignores SIGCHLD to have the kernel reap workers; the workers must not inherit that).
TEST_F(WorkersFixture, APythonWorkerSeesItsChildrensExitStatus) {
  ProcessOptions options;
  options.max_workers = 1 + 1;
  RuntimeProcess p(Language::kPython, options);
  ASSERT_TRUE(p.init(code("main.py", "import subprocess\ndef main(a):\n"
                                     "    return {'rc': subprocess.run(['/bin/sh', '-c', 'exit 3']).returncode}\n"),
                     "main", 5000)
                  .ok);
  const RunResult direct = p.run("{}", 5000);
  ASSERT_TRUE(direct.ok) << direct.error;
  EXPECT_EQ(json::parse(direct.result_json)["rc"], 3);
  ASSERT_TRUE(p.add_workers(1, 5000).ok);
  const RunResult r = p.run("{}", 5000, 1);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(json::parse(r.result_json)["rc"], 3);
}

// Once workers serve, channel 0 carries only control requests (runtime_process.h): a run there would
// execute the function in the parent, which then forks later workers and ignores SIGCHLD.
TEST_F(WorkersFixture, ARunOnChannelZeroAfterWorkersStartedIsRefused) {
  ProcessOptions options;
  options.max_workers = 2;
  RuntimeProcess p(Language::kPython, options);
  ASSERT_TRUE(p.init(code("main.py", "import os\ndef main(a):\n    return {'pid': os.getpid()}\n"), "main", 5000).ok);
  ASSERT_TRUE(p.run("{}", 5000, 0).ok);  // before any worker: the process itself runs it
  ASSERT_TRUE(p.add_workers(1, 5000).ok);
  const RunResult refused = p.run("{}", 5000, 0);
  EXPECT_FALSE(refused.ok);
  EXPECT_FALSE(refused.crashed);
  EXPECT_NE(refused.error.find("worker 0"), std::string::npos) << refused.error;
  EXPECT_FALSE(p.broken());
  const RunResult in_worker = p.run("{}", 5000, 1);
  ASSERT_TRUE(in_worker.ok) << in_worker.error;
  EXPECT_NE(json::parse(in_worker.result_json)["pid"].get<int>(), p.pid());
  EXPECT_TRUE(p.add_workers(2, 5000).ok);  // channel 0 still takes control requests
}

// A result JSON cannot encode (a BigInt, a cycle) is that run's error, as in the Python runtime: it must
// not take down the process, and with it the runs of every other worker on the event loop.
TEST_F(WorkersFixture, ANodeResultThatIsNotJsonIsAnErrorNotACrash) {
  ProcessOptions options;
  options.max_workers = 2;
  RuntimeProcess p(Language::kNodejs, options);
  ASSERT_TRUE(p.init(code("main.js", "function main(a) { console.log('made', a.i); if (a.big) return { n: 1n };\n"
                                     "  if (a.cycle) { const o = {}; o.self = o; return o; } return { i: a.i }; }"),
                     "main", 10000)
                  .ok);
  ASSERT_TRUE(p.add_workers(2, 5000).ok);
  const RunResult big = p.run(R"({"big":true,"i":1})", 5000, 1);
  EXPECT_FALSE(big.ok);
  EXPECT_FALSE(big.crashed) << big.error;
  EXPECT_NE(big.error.find("not JSON"), std::string::npos) << big.error;
  EXPECT_EQ(big.logs, std::vector<std::string>{"made 1"});
  const RunResult cycle = p.run(R"({"cycle":true,"i":2})", 5000, 2);
  EXPECT_FALSE(cycle.ok);
  EXPECT_FALSE(cycle.crashed) << cycle.error;
  EXPECT_FALSE(p.broken());
  const RunResult fine = p.run(R"({"i":3})", 5000, 1);
  ASSERT_TRUE(fine.ok) << fine.error;
  EXPECT_EQ(json::parse(fine.result_json)["i"], 3);
}

}  // namespace
}  // namespace hearth::runtime
