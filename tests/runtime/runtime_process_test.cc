#include "runtime/runtime_process.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "sandbox/sandbox_pool.h"
#include "tests/trace/temp_dir.h"

namespace hearth::runtime {
namespace {

using nlohmann::json;

struct RuntimeFixture : ::testing::Test {
  hearth::testing::TempDir dir;
  std::string code(const std::string& name, const std::string& text) {
    dir.write(name, text);
    return dir.str() + "/" + name;
  }
};

TEST_F(RuntimeFixture, PythonInitOnceRunMany) {
  RuntimeProcess p(Language::kPython);
  const auto init = p.init(code("main.py", "def main(args):\n    print('hello', args.get('n'))\n    return {'n': args.get('n', 0) + 1}\n"),
                           "main", 5000);
  ASSERT_TRUE(init.ok) << init.error;
  for (int i = 0; i < 5; ++i) {
    const auto r = p.run(json{{"n", i}}.dump(), 5000);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(json::parse(r.result_json)["n"], i + 1);
    ASSERT_EQ(r.logs.size(), 1u);
    EXPECT_EQ(r.logs[0], "hello " + std::to_string(i));
  }
}

TEST_F(RuntimeFixture, PythonExceptionsAreErrorsAndTheProcessStaysUsable) {
  RuntimeProcess p(Language::kPython);
  ASSERT_TRUE(p.init(code("main.py", "def main(a):\n    if a.get('fail'):\n        raise ValueError('nope')\n    return {}\n"), "main", 5000).ok);
  const auto bad = p.run(R"({"fail":true})", 5000);
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.error.find("ValueError: nope"), std::string::npos) << bad.error;
  EXPECT_FALSE(p.broken());
  EXPECT_TRUE(p.run("{}", 5000).ok);
}

TEST_F(RuntimeFixture, PythonInitErrorsAreReported) {
  RuntimeProcess p(Language::kPython);
  const auto r = p.init(code("main.py", "def main(a:\n"), "main", 5000);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("SyntaxError"), std::string::npos) << r.error;
  RuntimeProcess q(Language::kPython);
  EXPECT_FALSE(q.init(code("other.py", "x = 1\n"), "main", 5000).ok);  // no main
}

// A generic (stem-cell) runtime started before any code is known, then specialised with inline source.
TEST_F(RuntimeFixture, GenericRuntimesSpecialiseWithInlineSource) {
  RuntimeProcess py(Language::kPython);
  ASSERT_TRUE(py.init_source("def main(a):\n    return {'py': a.get('x', 0) * 2}\n", "main", 5000).ok);
  const auto r = py.run(R"({"x":21})", 5000);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(json::parse(r.result_json)["py"], 42);
  RuntimeProcess js(Language::kNodejs);
  ASSERT_TRUE(js.init_source("function main(p) { return {js: p.x + 1}; }", "main", 5000).ok);
  const auto s = js.run(R"({"x":1})", 5000);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(json::parse(s.result_json)["js"], 2);
  RuntimeProcess bad(Language::kPython);
  const auto e = bad.init_source("def main(a:\n", "main", 5000);
  EXPECT_FALSE(e.ok);
  EXPECT_NE(e.error.find("SyntaxError"), std::string::npos) << e.error;
}

TEST_F(RuntimeFixture, CrashIsDetected) {
  RuntimeProcess p(Language::kPython);
  ASSERT_TRUE(p.init(code("main.py", "import os\ndef main(a):\n    os._exit(3)\n"), "main", 5000).ok);
  const auto r = p.run("{}", 5000);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.crashed);
  EXPECT_TRUE(p.broken());
  EXPECT_FALSE(p.run("{}", 5000).ok);
}

TEST_F(RuntimeFixture, TimeoutKillsTheRuntime) {
  RuntimeProcess p(Language::kPython);
  ASSERT_TRUE(p.init(code("main.py", "import time\ndef main(a):\n    time.sleep(30)\n"), "main", 5000).ok);
  const pid_t pid = p.pid();
  const auto r = p.run("{}", 200);
  EXPECT_TRUE(r.timed_out);
  EXPECT_TRUE(p.broken());
  EXPECT_NE(r.error.find("time limit of 200 ms"), std::string::npos);
  EXPECT_NE(::kill(pid, 0), 0);  // the process is gone
}

TEST_F(RuntimeFixture, LogsAreBounded) {
  RuntimeProcess p(Language::kPython);
  ASSERT_TRUE(p.init(code("main.py", "def main(a):\n    print('x' * 200000)\n    return {}\n"), "main", 5000).ok);
  const auto r = p.run("{}", 5000);
  ASSERT_TRUE(r.ok);
  std::size_t total = 0;
  for (const auto& l : r.logs) total += l.size();
  EXPECT_LE(total, 70'000u);
  EXPECT_NE(r.logs.back().find("truncated"), std::string::npos);
}

TEST_F(RuntimeFixture, BigPayloadsRoundTrip) {
  ProcessOptions o;
  o.max_result_bytes = 4 << 20;  // the default (OpenWhisk's 1 MB) refuses this result
  RuntimeProcess p(Language::kPython, o);
  ASSERT_TRUE(p.init(code("main.py", "def main(a):\n    return a\n"), "main", 5000).ok);
  const std::string big(3 << 20, 'z');
  const auto r = p.run(json{{"s", big}}.dump(), 10000);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(json::parse(r.result_json)["s"].get<std::string>().size(), big.size());
}

TEST_F(RuntimeFixture, NodeSyncAndAsync) {
  RuntimeProcess p(Language::kNodejs);
  ASSERT_TRUE(p.init(code("main.js", "function main(params) { console.log('hi', params.n); return { n: params.n * 2 }; }"), "main", 5000).ok);
  auto r = p.run(R"({"n":21})", 5000);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(json::parse(r.result_json)["n"], 42);
  EXPECT_EQ(r.logs, std::vector<std::string>{"hi 21"});
  RuntimeProcess q(Language::kNodejs);
  ASSERT_TRUE(q.init(code("async.js", "async function main(p) { await new Promise(r => setTimeout(r, 10)); if (p.fail) throw new Error('async nope'); return { ok: true }; }"), "main", 5000).ok);
  r = q.run("{}", 5000);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(json::parse(r.result_json)["ok"], true);
  r = q.run(R"({"fail":1})", 5000);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("async nope"), std::string::npos);
  EXPECT_TRUE(q.run("{}", 5000).ok);
}

TEST_F(RuntimeFixture, NativeEchoAndCrash) {
  RuntimeProcess p(Language::kNative);
  ASSERT_TRUE(p.init(HEARTH_NATIVE_NOOP, "main", 5000).ok);
  auto r = p.run(R"({"log":1,"v":"x"})", 5000);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(json::parse(r.result_json)["v"], "x");
  EXPECT_EQ(r.logs, std::vector<std::string>{"native noop called"});
  r = p.run(R"({"crash":1})", 5000);
  EXPECT_TRUE(r.crashed);
  RuntimeProcess q(Language::kNative);
  EXPECT_FALSE(q.init("/nonexistent.so", "main", 5000).ok);
}

TEST_F(RuntimeFixture, NativeLogsBelongToTheirOwnRun) {
  RuntimeProcess p(Language::kNative);
  ASSERT_TRUE(p.init(HEARTH_NATIVE_NOOP, "main", 5000).ok);
  for (int i = 0; i < 3; ++i) {
    auto r = p.run(R"({"log":1})", 5000);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.logs, std::vector<std::string>{"native noop called"});  // one line per run, never accumulated
    r = p.run("{}", 5000);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_TRUE(r.logs.empty());
  }
}

TEST_F(RuntimeFixture, ArgumentsThatAreNotAnObjectBecomeEmpty) {
  RuntimeProcess p(Language::kPython);
  ASSERT_TRUE(p.init(code("main.py", "def main(a):\n    return {'args': a}\n"), "main", 5000).ok);
  for (const char* bad : {"", "[1,2]", "{bad", "42", "  "}) {
    const auto r = p.run(bad, 5000);
    ASSERT_TRUE(r.ok) << bad << ": " << r.error;
    EXPECT_EQ(json::parse(r.result_json)["args"], json::object()) << bad;
  }
  const auto r = p.run(R"(  {"k": [1, {"x": "y"}]} )", 5000);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(json::parse(r.result_json)["args"], json::parse(R"({"k": [1, {"x": "y"}]})"));
}

TEST(Language, FromKind) {
  EXPECT_EQ(language_of("python:3"), Language::kPython);
  EXPECT_EQ(language_of("nodejs:20"), Language::kNodejs);
  EXPECT_EQ(language_of("native"), Language::kNative);
  EXPECT_THROW(language_of("cobol"), std::invalid_argument);
}

}  // namespace
}  // namespace hearth::runtime

namespace hearth::runtime {
namespace {

// The same runtimes inside a sandbox (root + writable cgroups needed; skipped elsewhere with the reason).
struct SandboxedRuntime : RuntimeFixture {
  void SetUp() override {
    std::string why;
    if (!sandbox::Sandbox::supported(&why)) GTEST_SKIP() << "sandboxes unsupported here: " << why;
    ::chmod(dir.str().c_str(), 0755);
  }
  ProcessOptions options(std::int64_t memory_mb = 128) {
    ProcessOptions o;
    o.sandboxed = true;
    o.name = "rt-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    o.limits.memory_mb = memory_mb;
    o.read_only_paths = {dir.str()};
    return o;
  }
  int counter = 0;
};

TEST_F(SandboxedRuntime, PythonRunsIsolated) {
  hearth::testing::TempDir host;
  host.write("secret", "s3cr3t");
  RuntimeProcess p(Language::kPython, options());
  const std::string secret_path = host.str() + "/secret";
  ASSERT_TRUE(p.init(code("main.py", "import os, socket\ndef main(a):\n"
                                     "    try:\n        leaked = open(a['path']).read()\n    except OSError:\n        leaked = None\n"
                                     "    return {'pid': os.getpid(), 'uid': os.getuid(), 'leaked': leaked, 'host': socket.gethostname()}\n"),
                     "main", 10000).ok);
  const auto r = p.run(json{{"path", secret_path}}.dump(), 10000);
  ASSERT_TRUE(r.ok) << r.error;
  const json j = json::parse(r.result_json);
  EXPECT_EQ(j["pid"], 1);
  EXPECT_EQ(j["uid"], 65534);
  EXPECT_TRUE(j["leaked"].is_null());
  EXPECT_EQ(j["host"], "hearth");
}

// Debian's numpy loads libblas.so.3 through /etc/alternatives (OpenBLAS or the reference BLAS): a plain
// sandboxed start of a function importing it (from dist-packages, which a plain runtime does not put on
// sys.path), no zygote and no declared libraries, must find it.
TEST_F(SandboxedRuntime, DebiansNumpyImportsInAPlainSandbox) {
  if (!std::filesystem::exists("/usr/lib/python3/dist-packages/numpy")) GTEST_SKIP() << "python3-numpy not installed";
  RuntimeProcess p(Language::kPython, options(256));
  const auto init = p.init(code("main.py", "import sys\nsys.path.append('/usr/lib/python3/dist-packages')\nimport numpy\ndef main(a):\n    return {'s': int(numpy.arange(5).sum())}\n"),
                           "main", 30000);
  ASSERT_TRUE(init.ok) << init.error;
  const auto r = p.run("{}", 30000);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(json::parse(r.result_json)["s"], 10);
}

TEST_F(SandboxedRuntime, MemoryLimitIsReported) {
  RuntimeProcess p(Language::kPython, options(64));
  ASSERT_TRUE(p.init(code("main.py", "def main(a):\n    x = bytearray(300 * 1024 * 1024)\n    return {'n': len(x)}\n"), "main", 10000).ok);
  const auto r = p.run("{}", 10000);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.oom_killed) << r.error;
  EXPECT_NE(r.error.find("memory limit"), std::string::npos);
}

// HyperFaaS's phase 1 inside one sandbox: two more workers (forked in the container, sharing its /tmp and
// cgroup) and a larger CPU quota, both while the container runs.
TEST_F(SandboxedRuntime, WorkersAndCpuQuotaScaleUpInPlace) {
  auto o = options();
  o.max_workers = 2;
  o.limits.cpu_millicores = 1000;
  RuntimeProcess p(Language::kPython, o);
  ASSERT_TRUE(p.init(code("main.py", R"(import os, time
def main(a):
    os.makedirs('/tmp/b', exist_ok=True)
    open('/tmp/b/%d' % os.getpid(), 'w').close()
    deadline = time.time() + 10
    while len(os.listdir('/tmp/b')) < 2:
        if time.time() > deadline:
            raise RuntimeError('not concurrent')
        time.sleep(0.002)
    return {'pid': os.getpid()}
)"),
                     "main", 10000).ok);
  EXPECT_EQ(p.cpu_quota_millicores(), 1000);
  ASSERT_TRUE(p.add_workers(2, 10000).ok);
  ASSERT_TRUE(p.set_cpu_quota(2000));
  EXPECT_EQ(p.cpu_quota_millicores(), 2000);
  RunResult r1, r2;
  std::thread t([&] { r1 = p.run("{}", 20000, 1); });
  r2 = p.run("{}", 20000, 2);
  t.join();
  ASSERT_TRUE(r1.ok) << r1.error;
  ASSERT_TRUE(r2.ok) << r2.error;
  EXPECT_NE(json::parse(r1.result_json)["pid"], json::parse(r2.result_json)["pid"]);
}

// A worker that dies inside a sandbox is a crash seen at once (EOF on its channel), as outside one: no
// process of the sandbox (its supervisor included) may keep the worker's channel open.
TEST_F(SandboxedRuntime, AWorkerThatDiesIsACrashNotATimeout) {
  auto o = options();
  o.max_workers = 2;
  RuntimeProcess p(Language::kPython, o);
  ASSERT_TRUE(p.init(code("main.py", "import os\ndef main(a):\n    if a.get('die'):\n        os._exit(3)\n    return {}\n"),
                     "main", 10000)
                  .ok);
  ASSERT_TRUE(p.add_workers(2, 10000).ok);
  const RunResult r = p.run(R"({"die":true})", 8000, 1);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.crashed) << r.error;
  EXPECT_FALSE(r.timed_out) << r.error;
}

// From a pool of pre-started shells too, up to kMaxWorkers: every channel's fds (2 per channel) must
// travel to the shell.
TEST_F(SandboxedRuntime, APooledShellTakesTheMostWorkers) {
  sandbox::SandboxPool pool("rt-pool-" + std::to_string(getpid()), 1);
  ASSERT_EQ(pool.wait_ready(1, 10000), 1);
  auto o = options();
  o.max_workers = kMaxWorkers;
  o.pool = &pool;
  RuntimeProcess p(Language::kPython, o);
  EXPECT_EQ(pool.hits(), 1u);
  ASSERT_TRUE(p.init(code("main.py", "import os\ndef main(a):\n    return {'pid': os.getpid()}\n"), "main", 10000).ok);
  ASSERT_TRUE(p.add_workers(kMaxWorkers, 10000).ok);
  const RunResult last = p.run("{}", 10000, kMaxWorkers);
  ASSERT_TRUE(last.ok) << last.error;
}

TEST_F(SandboxedRuntime, NodeAndNativeRunInside) {
  RuntimeProcess js(Language::kNodejs, options());
  ASSERT_TRUE(js.init(code("main.js", "function main(p) { return { ok: process.getuid() }; }"), "main", 10000).ok);
  EXPECT_EQ(json::parse(js.run("{}", 10000).result_json)["ok"], 65534);
  auto o = options();
  o.read_only_paths.push_back(HEARTH_NATIVE_NOOP);
  RuntimeProcess so(Language::kNative, o);
  ASSERT_TRUE(so.init(HEARTH_NATIVE_NOOP, "main", 10000).ok);
  EXPECT_EQ(json::parse(so.run(R"({"v":1})", 10000).result_json)["v"], 1);
}

}  // namespace
}  // namespace hearth::runtime
