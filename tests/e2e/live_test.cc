// End-to-end: `hearth up` as a real process on 127.0.0.1, real Python, Node.js and native functions.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "live/base64.h"
#include "live/http_client.h"
#include "tests/trace/temp_dir.h"

namespace {

using nlohmann::json;
using hearth::live::HttpClient;
using hearth::live::HttpRequest;

const std::string kAuth = hearth::live::basic_auth("23bc46b1-71f6-4ed5-8c54-816aa4f8c502",
                                                   "123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP");

// A running `hearth up`; SIGTERM and reap on destruction (also when a test fails).
class Platform {
 public:
  explicit Platform(const std::string& data_dir, const std::string& extra = "") {
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      const std::string cmd = std::string(HEARTH_BINARY) + " up --port 0 --data-dir " + data_dir + " " + extra;
      execl("/bin/sh", "sh", "-c", ("exec " + cmd).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    FILE* f = fdopen(out[0], "r");
    char line[512] = {0};
    if (fgets(line, sizeof line, f)) {
      const std::string s(line);
      const auto colon = s.find(':', s.find("127.0.0.1"));
      port_ = static_cast<std::uint16_t>(std::stoi(s.substr(colon + 1)));
    }
    out_ = f;
  }
  ~Platform() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status;
      waitpid(pid_, &status, 0);
    }
    if (out_) fclose(out_);
  }
  std::uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  FILE* out_ = nullptr;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct LiveFixture : ::testing::Test {
  hearth::testing::TempDir dir;
  std::unique_ptr<Platform> platform = std::make_unique<Platform>(dir.str() + "/data", "--max-payload-bytes 100000 --prewarm none");
  std::unique_ptr<HttpClient> client = std::make_unique<HttpClient>("127.0.0.1", platform->port());

  hearth::live::HttpResponse put(const std::string& name, const std::string& kind, const std::string& code,
                                 const std::string& limits = "{}") {
    return client->send({"PUT", "/api/v1/namespaces/_/actions/" + name, kAuth,
                         json{{"exec", {{"kind", kind}, {"code", code}}}, {"limits", json::parse(limits)}}.dump()});
  }
  json invoke(const std::string& name, const json& params, int* status = nullptr) {
    const auto r = client->send({"POST", "/api/v1/namespaces/_/actions/" + name + "?blocking=true", kAuth, params.dump()});
    if (status) *status = r.status;
    return json::parse(r.body);
  }
};

TEST_F(LiveFixture, PythonNodeAndNativeColdThenWarm) {
  ASSERT_NE(platform->port(), 0);
  ASSERT_EQ(put("py", "python:3", "def main(a):\n    print('py log')\n    return {'twice': a['n'] * 2}\n").status, 200);
  ASSERT_EQ(put("js", "nodejs:20", "async function main(p) { return { twice: p.n * 2 }; }").status, 200);
  ASSERT_EQ(put("so", "native", hearth::live::base64_encode(slurp(HEARTH_NATIVE_NOOP))).status, 200);
  for (const char* name : {"py", "js"}) {
    const json cold = invoke(name, {{"n", 21}});
    EXPECT_EQ(cold["response"]["result"]["twice"], 42) << cold.dump();
    EXPECT_EQ(cold["hearth"]["start_kind"], "cold");
    EXPECT_GT(cold["hearth"]["init_us"].get<long>(), 0);
    const json warm = invoke(name, {{"n", 5}});
    EXPECT_EQ(warm["response"]["result"]["twice"], 10);
    EXPECT_EQ(warm["hearth"]["start_kind"], "warm");
    EXPECT_EQ(warm["hearth"]["container"], cold["hearth"]["container"]);
  }
  EXPECT_EQ(invoke("py", {{"n", 1}})["logs"], json::array({"py log"}));
  const json native = invoke("so", {{"v", "x"}});
  EXPECT_EQ(native["response"]["result"]["v"], "x");
  EXPECT_EQ(invoke("so", {{"v", "y"}})["hearth"]["start_kind"], "warm");
}

// The default preset (openwhisk) starts generic Python and Node.js runtimes with the platform; a first
// invocation that fits one is a prewarm start: the stem cell is specialised with the code.
TEST_F(LiveFixture, StemCellsServeFirstInvocations) {
  client.reset();
  platform = std::make_unique<Platform>(dir.str() + "/stem");
  client = std::make_unique<HttpClient>("127.0.0.1", platform->port());
  const auto prewarmed = [&] {
    const std::string m = client->send({"GET", "/metrics", "", ""}).body;
    const std::string key = "state=\"prewarmed\"} ";
    const auto at = m.find(key);
    return at == std::string::npos ? 0 : std::stoi(m.substr(at + key.size()));
  };
  for (int i = 0; i < 200 && prewarmed() < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  ASSERT_EQ(prewarmed(), 4);  // 2 nodejs + 2 python, 256 MB each
  ASSERT_EQ(put("py", "python:3", "def main(a):\n    return {'n': a['n'] + 1}\n").status, 200);
  ASSERT_EQ(put("js", "nodejs:20", "function main(p) { return { n: p.n + 2 }; }").status, 200);
  ASSERT_EQ(put("big", "python:3", "def main(a):\n    return {}\n", R"({"memory": 512})").status, 200);
  const json py = invoke("py", {{"n", 1}});
  EXPECT_EQ(py["response"]["result"]["n"], 2) << py.dump();
  EXPECT_EQ(py["hearth"]["start_kind"], "prewarm");
  const json js = invoke("js", {{"n", 1}});
  EXPECT_EQ(js["response"]["result"]["n"], 3) << js.dump();
  EXPECT_EQ(js["hearth"]["start_kind"], "prewarm");
  EXPECT_EQ(invoke("py", {{"n", 2}})["hearth"]["start_kind"], "warm");
  EXPECT_EQ(invoke("big", json::object())["hearth"]["start_kind"], "cold");  // larger than any stem cell
  EXPECT_EQ(prewarmed(), 2);
}

TEST_F(LiveFixture, TimeLimitCrashAndErrorsLeaveThePlatformUp) {
  ASSERT_EQ(put("slow", "python:3", "import time\ndef main(a):\n    time.sleep(a.get('s', 0))\n    return {}\n",
                R"({"timeout": 300})").status, 200);
  int status = 0;
  const json slow = invoke("slow", {{"s", 5}}, &status);
  EXPECT_EQ(status, 502);
  EXPECT_NE(slow["response"]["result"]["error"].get<std::string>().find("time limit"), std::string::npos) << slow.dump();
  EXPECT_EQ(invoke("slow", {{"s", 0}}, &status)["hearth"]["start_kind"], "cold");  // the killed container was replaced
  EXPECT_EQ(status, 200);
  ASSERT_EQ(put("crash", "python:3", "import os\ndef main(a):\n    os._exit(1)\n").status, 200);
  invoke("crash", json::object(), &status);
  EXPECT_EQ(status, 502);
  ASSERT_EQ(put("bad", "python:3", "def main(:\n").status, 200);
  const json bad = invoke("bad", json::object(), &status);
  EXPECT_EQ(status, 502);
  EXPECT_EQ(bad["response"]["status"], "developer error");
  // Malformed and oversized requests.
  EXPECT_EQ(client->send({"POST", "/api/v1/namespaces/_/actions/slow?blocking=true", kAuth, "{oops"}).status, 400);
  EXPECT_EQ(client->send({"POST", "/api/v1/namespaces/_/actions/slow?blocking=true", kAuth,
                          json{{"big", std::string(200000, 'x')}}.dump()}).status, 413);
  EXPECT_EQ(client->send({"GET", "/api/v1/namespaces/_/actions/nope", kAuth, ""}).status, 404);
  EXPECT_EQ(client->send({"GET", "/api/v1/namespaces/_/actions", "Basic bm86bm8=", ""}).status, 401);
  EXPECT_EQ(client->send({"GET", "/healthz", "", ""}).status, 200);
}

TEST_F(LiveFixture, MemoryLimitAndIsolation) {
  if (geteuid() != 0) GTEST_SKIP() << "hearth up sandboxes functions only as root";
  ASSERT_EQ(put("hog", "python:3", "def main(a):\n    x = bytearray(300 * 1024 * 1024)\n    return {'n': len(x)}\n",
                R"({"memory": 64})").status, 200);
  int status = 0;
  const json hog = invoke("hog", json::object(), &status);
  EXPECT_EQ(status, 502);
  EXPECT_NE(hog["response"]["result"]["error"].get<std::string>().find("memory limit"), std::string::npos) << hog.dump();
  dir.write("host-secret", "s3cr3t");
  ASSERT_EQ(put("peek", "python:3",
                "import os\ndef main(a):\n    try:\n        data = open(a['path']).read()\n    except OSError:\n        data = None\n"
                "    return {'data': data, 'pid': os.getpid(), 'procs': len([p for p in os.listdir('/proc') if p.isdigit()])}\n")
                .status, 200);
  const json peek = invoke("peek", {{"path", dir.str() + "/host-secret"}});
  EXPECT_TRUE(peek["response"]["result"]["data"].is_null()) << peek.dump();
  EXPECT_EQ(peek["response"]["result"]["pid"], 1);     // its own PID namespace
  EXPECT_LE(peek["response"]["result"]["procs"], 2);   // sees no platform processes
}

TEST_F(LiveFixture, RestartKeepsActionsAndActivations) {
  ASSERT_EQ(put("keep", "python:3", "def main(a):\n    return {'ok': True}\n").status, 200);
  const json first = invoke("keep", json::object());
  const std::string id = first["activationId"];
  client.reset();
  platform.reset();
  platform = std::make_unique<Platform>(dir.str() + "/data");
  client = std::make_unique<HttpClient>("127.0.0.1", platform->port());
  EXPECT_EQ(client->send({"GET", "/api/v1/namespaces/_/actions/keep", kAuth, ""}).status, 200);
  EXPECT_EQ(client->send({"GET", "/api/v1/namespaces/_/activations/" + id, kAuth, ""}).status, 200);
  EXPECT_EQ(invoke("keep", json::object())["response"]["result"]["ok"], true);
}

TEST_F(LiveFixture, BoundedLoadLosesNothing) {
  ASSERT_EQ(put("echo", "python:3", "def main(a):\n    return a\n").status, 200);
  constexpr int kThreads = 4, kEach = 100;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c("127.0.0.1", platform->port());
      for (int i = 0; i < kEach; ++i) {
        const auto r = c.send({"POST", "/api/v1/namespaces/_/actions/echo?blocking=true&result=true", kAuth,
                               json{{"t", t}, {"i", i}}.dump()});
        if (r.status == 200 && json::parse(r.body) == json{{"t", t}, {"i", i}}) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  const auto list = client->send({"GET", "/api/v1/namespaces/_/activations?name=echo&limit=1000", kAuth, ""});
  EXPECT_EQ(json::parse(list.body).size(), static_cast<std::size_t>(kThreads * kEach));
}

}  // namespace
