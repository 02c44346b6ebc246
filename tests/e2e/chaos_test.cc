// Chaos (issue 11): `hearth up` with two invoker processes on 127.0.0.1 under a steady load of blocking
// and non-blocking invocations, and one fault per test — an invoker SIGKILLed, an invoker SIGSTOPped for
// 3 s, the controller SIGKILLed and `hearth up` started again on the same data directory, the data
// directory's disk (a 16 MB tmpfs, root only) filled for 2 s. After each: every activation id the
// platform handed out resolves (GET answers a record: a result or an explicit error), no id is handed out
// twice, no id's record changes once read (a blocking answer's record included), and the platform serves
// again — a blocking and a non-blocking invocation both succeed — soon after the fault ends (and, for the
// invoker faults, `hearth up` has that invoker back as a new process, up in /metrics). Each test
// prints one "chaos:" line with its counts and times (scripts/chaos-report gathers them for BENCHMARKS.md).
// Bounded: load ~4 s per test, resolution within 30 s, and a watchdog SIGKILLs every process it started
// if a test outlives 90 s; every process, mount and temp dir is removed on any exit.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "net/base64.h"
#include "net/http_client.h"
#include "tests/e2e/platform.h"
#include "tests/trace/temp_dir.h"

namespace {

using nlohmann::json;
using hearth::net::HttpClient;
using hearth::net::HttpRequest;
using hearth::net::HttpResponse;
using hearth::testing::Platform;
using Clock = std::chrono::steady_clock;

// The issue's bound on serving again after a fault ends; the test asserts a generous multiple of it (a
// loaded 2-core CI machine), the report script holds the measured figure to the bound itself.
constexpr auto kServeAgainAsserted = std::chrono::seconds(10);

std::int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// True if `pid` still runs a hearth process (not a recycled pid).
bool is_hearth(pid_t pid) {
  return slurp("/proc/" + std::to_string(pid) + "/cmdline").find(HEARTH_BINARY) != std::string::npos;
}

// A small tmpfs mounted at `path` (root only), unmounted (lazily: a process may still hold a file) on
// destruction, also when the test fails.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& path, int size_mb) : path_(path) {
    std::filesystem::create_directories(path);
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, ("size=" + std::to_string(size_mb) + "m,mode=0700").c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~TmpfsMount() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string path_;
  bool mounted_ = false;
  std::string error_;
};

// What one test counted, printed as one "chaos:" line.
struct Counts {
  int blocking = 0, nonblocking = 0;  // ids handed out (200/502 with a record; 202)
  int refused = 0;                    // answered without an id (503, 502 without a record, ...)
  int transport = 0;                  // no answer (connection refused or reset): never accepted
  int resolved = 0, resolved_error = 0, missing = 0, changed = 0, duplicate_ids = 0;
  std::int64_t serve_blocking_ms = -1, serve_nonblocking_ms = -1, resolve_ms = -1;
  std::int64_t rejoin_ms = -1;  // invoker faults: until the faulted invoker serves again (a new process)
};

struct ChaosTest : ::testing::Test {
  hearth::testing::TempDir dir;
  std::string data = dir.str() + "/data";
  std::optional<TmpfsMount> tmpfs;  // destroyed after the platform (declared before it)
  std::unique_ptr<Platform> platform;
  std::string auth;
  std::atomic<std::uint16_t> port{0};
  std::vector<pid_t> strays;  // invokers of a killed controller: SIGKILLed at the end if still there
  std::string extra = "--invokers 2 --prewarm none --sandbox off";

  // Load: ids handed out, each with the record its blocking answer carried (null for 202).
  std::mutex mu;
  std::map<std::string, json> accepted;
  Counts counts;
  std::atomic<bool> stop_load{false};
  std::vector<std::thread> load;

  // The watchdog: past its deadline it SIGKILLs the platform and its invokers so no request can hang.
  std::mutex watch_mu;
  std::condition_variable watch_cv;
  bool watch_done = false;
  std::atomic<bool> watchdog_fired{false};
  std::thread watchdog;

  void SetUp() override {
    watchdog = std::thread([this] {
      std::unique_lock lock(watch_mu);
      if (watch_cv.wait_for(lock, std::chrono::seconds(90), [this] { return watch_done; })) return;
      watchdog_fired = true;
      kill_everything();
    });
  }
  void TearDown() override {
    stop_load = true;
    for (auto& t : load)
      if (t.joinable()) t.join();
    {
      std::lock_guard lock(watch_mu);
      watch_done = true;
    }
    watch_cv.notify_all();
    watchdog.join();
    EXPECT_FALSE(watchdog_fired) << "the test outlived its 90 s bound: every process was killed";
    platform.reset();
    kill_strays();
  }
  // The watchdog's last resort: the controller (its invokers follow it: PR_SET_PDEATHSIG).
  std::atomic<pid_t> controller{0};
  void kill_everything() {
    if (const pid_t pid = controller.load(); pid > 0) kill(pid, SIGKILL);
  }
  void kill_strays() {
    for (pid_t pid : strays)
      if (is_hearth(pid)) kill(pid, SIGKILL);
  }

  void start() {
    platform = std::make_unique<Platform>(data, extra);
    ASSERT_NE(platform->port(), 0) << "hearth up did not start";
    if (auth.empty()) auth = platform->auth();  // never rewritten: the load threads read it
    EXPECT_EQ(platform->auth(), auth) << "the key changed across a restart";
    port = platform->port();
    controller = platform->pid();
  }
  HttpResponse send(HttpClient& c, const std::string& method, const std::string& target, const std::string& body) {
    return c.send({method, target, auth, body});
  }
  void deploy() {
    HttpClient c("127.0.0.1", port);
    // The load: a short Python function (in flight when a fault strikes); the probe: the native no-op.
    ASSERT_EQ(send(c, "PUT", "/api/v1/namespaces/_/actions/work",
                   json{{"exec", {{"kind", "python:3"}, {"code", "import time\ndef main(a):\n    time.sleep(0.03)\n    return a\n"}}}}.dump())
                  .status, 200);
    ASSERT_EQ(send(c, "PUT", "/api/v1/namespaces/_/actions/noop",
                   json{{"exec", {{"kind", "native"}, {"code", hearth::net::base64_encode(slurp(HEARTH_NATIVE_NOOP))}}}}.dump())
                  .status, 200);
    const auto warm = send(c, "POST", "/api/v1/namespaces/_/actions/work?blocking=true", "{}");
    ASSERT_EQ(warm.status, 200) << warm.body;
    home = json::parse(warm.body)["hearth"]["invoker"];
    ASSERT_TRUE(home == "invoker0" || home == "invoker1") << warm.body;
  }
  std::string home;  // the invoker the load's function runs on (deploy): the one the invoker faults hit

  // Records one answer to an invocation of the load.
  void record(const HttpResponse& r, bool blocking) {
    std::lock_guard lock(mu);
    json body = json::parse(r.body, nullptr, false);
    const bool has_id = body.is_object() && body.contains("activationId") && body["activationId"].is_string();
    if (!has_id || (blocking ? (r.status != 200 && r.status != 502 && r.status != 202) : r.status != 202)) {
      ++counts.refused;
      return;
    }
    const std::string id = body["activationId"];
    if (accepted.count(id)) ++counts.duplicate_ids;
    ++(blocking ? counts.blocking : counts.nonblocking);
    accepted[id] = blocking && r.status != 202 ? body : json();
  }

  // Two threads: blocking invokes back to back, non-blocking ones every 20 ms; each at most 1,000.
  void start_load() {
    for (const bool blocking : {true, false}) {
      load.emplace_back([this, blocking] {
        std::optional<HttpClient> c;
        std::uint16_t at = 0;
        for (int i = 0; i < 1000 && !stop_load; ++i) {
          if (!c || at != port) c.emplace("127.0.0.1", at = port);
          const auto sent = Clock::now();
          try {
            record(send(*c, "POST", std::string("/api/v1/namespaces/_/actions/work") + (blocking ? "?blocking=true" : ""),
                        json{{"i", i}, {"blocking", blocking}}.dump()),
                   blocking);
          } catch (const std::exception&) {  // the controller is down: no id was handed out
            c.reset();
            std::lock_guard lock(mu);
            ++counts.transport;
          }
          if (!blocking || !c) std::this_thread::sleep_for(std::chrono::milliseconds(20) - (Clock::now() - sent));
        }
      });
    }
  }
  void stop_and_join_load() {
    stop_load = true;
    for (auto& t : load) t.join();
    load.clear();
  }

  // For the invoker faults: the faulted invoker's pid; measure_serve_again then also measures how long
  // until `hearth up` has it back (another process under its name, up in /metrics).
  pid_t faulted_invoker = 0;
  void measure_rejoin(Clock::time_point fault_ended) {
    HttpClient c("127.0.0.1", port);
    const std::string up = "hearth_invoker_up{invoker=\"" + home + "\"} 1";
    while (Clock::now() - fault_ended < std::chrono::seconds(30)) {
      const auto now = platform->invokers();
      if (now.count(home) && now.at(home) != faulted_invoker &&
          send(c, "GET", "/metrics", "").body.find(up) != std::string::npos) {
        counts.rejoin_ms = ms_since(fault_ended);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << home << " did not come back within 30 s";
  }

  // After `fault_ended`: how long until a blocking and a non-blocking invocation each succeed.
  void measure_serve_again(Clock::time_point fault_ended) {
    std::optional<std::thread> rejoin;
    if (faulted_invoker) rejoin.emplace([&] { measure_rejoin(fault_ended); });
    struct Join {
      std::optional<std::thread>& t;
      ~Join() {
        if (t) t->join();
      }
    } join{rejoin};
    std::optional<HttpClient> c;
    for (int pass = 0; pass < 2; ++pass) {
      const bool blocking = pass == 0;
      std::int64_t& out = blocking ? counts.serve_blocking_ms : counts.serve_nonblocking_ms;
      while (Clock::now() - fault_ended < std::chrono::seconds(30)) {
        try {
          if (!c) c.emplace("127.0.0.1", port);
          const auto r = send(*c, "POST", std::string("/api/v1/namespaces/_/actions/noop") + (blocking ? "?blocking=true" : ""), "{}");
          if (r.status == (blocking ? 200 : 202)) {
            out = ms_since(fault_ended);
            record(r, blocking);
            break;
          }
        } catch (const std::exception&) {
          c.reset();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }

  // Polls every accepted id until it resolves (at most 30 s), then reads each again: a record never
  // changes once read, and a blocking answer's record is the stored one.
  void resolve_all(Clock::time_point since) {
    std::map<std::string, json> seen;
    HttpClient c("127.0.0.1", port);
    std::map<std::string, json> ids;
    {
      std::lock_guard lock(mu);
      ids = accepted;
    }
    const auto get = [&](const std::string& id) {
      return send(c, "GET", "/api/v1/namespaces/_/activations/" + id, "");
    };
    while (seen.size() < ids.size() && Clock::now() - since < std::chrono::seconds(30)) {
      for (const auto& [id, answer] : ids) {
        if (seen.count(id)) continue;
        const auto r = get(id);
        if (r.status == 200) seen[id] = json::parse(r.body);
      }
      if (seen.size() < ids.size()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    counts.resolve_ms = ms_since(since);
    for (const auto& [id, answer] : ids) {
      if (!seen.count(id)) {
        ++counts.missing;
        ADD_FAILURE() << "accepted activation " << id << " never resolved";
        continue;
      }
      ++counts.resolved;
      const json& rec = seen[id];
      if (rec["response"]["status"] != "success") ++counts.resolved_error;
      const auto again = get(id);
      const json reread = again.status == 200 ? json::parse(again.body) : json();
      if (reread != rec || (!answer.is_null() && answer != rec)) {
        ++counts.changed;
        ADD_FAILURE() << id << " resolved twice:\n first  " << (answer.is_null() ? rec : answer).dump()
                      << "\n then   " << (answer.is_null() ? reread : rec).dump();
      }
    }
  }

  void report(const std::string& fault) {
    const Counts& k = counts;
    std::printf("chaos: fault=%s accepted=%d blocking=%d nonblocking=%d refused=%d unanswered=%d resolved=%d "
                "ended_by_error=%d missing=%d changed=%d duplicate_ids=%d serve_again_ms=%lld "
                "serve_again_blocking_ms=%lld serve_again_nonblocking_ms=%lld resolve_ms=%lld invoker_back_ms=%lld\n",
                fault.c_str(), k.blocking + k.nonblocking, k.blocking, k.nonblocking, k.refused, k.transport, k.resolved,
                k.resolved_error, k.missing, k.changed, k.duplicate_ids,
                static_cast<long long>(std::max(k.serve_blocking_ms, k.serve_nonblocking_ms)),
                static_cast<long long>(k.serve_blocking_ms), static_cast<long long>(k.serve_nonblocking_ms),
                static_cast<long long>(k.resolve_ms), static_cast<long long>(k.rejoin_ms));
    std::fflush(stdout);
    EXPECT_EQ(k.missing, 0);
    EXPECT_EQ(k.changed, 0);
    EXPECT_EQ(k.duplicate_ids, 0);
    EXPECT_GT(k.blocking, 0);
    EXPECT_GT(k.nonblocking, 0);
    for (const std::int64_t ms : {k.serve_blocking_ms, k.serve_nonblocking_ms}) {
      EXPECT_GE(ms, 0) << "the platform did not serve again within 30 s";
      EXPECT_LE(ms, std::chrono::duration_cast<std::chrono::milliseconds>(kServeAgainAsserted).count());
    }
  }

  // Load for 1.5 s, `fault` (returns when the fault ends), load for 1.5 s more while measuring how soon
  // the platform serves again, then every id must resolve.
  template <typename Fault>
  void run(const std::string& name, Fault fault) {
    ASSERT_NO_FATAL_FAILURE(deploy());
    start_load();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const Clock::time_point ended = fault();
    measure_serve_again(ended);
    const auto rest = std::chrono::milliseconds(1500) - (Clock::now() - ended);
    if (rest.count() > 0) std::this_thread::sleep_for(rest);
    stop_and_join_load();
    resolve_all(Clock::now());
    report(name);
  }
};

TEST_F(ChaosTest, InvokerKilled) {
  ASSERT_NO_FATAL_FAILURE(start());
  run("invoker-sigkill", [&] {
    faulted_invoker = platform->invokers().at(home);
    EXPECT_EQ(kill(faulted_invoker, SIGKILL), 0);
    return Clock::now();
  });
}

TEST_F(ChaosTest, InvokerStopped) {
  ASSERT_NO_FATAL_FAILURE(start());
  struct Resume {  // a stopped invoker must be able to take the platform's SIGTERM, also on failure
    pid_t pid = 0;
    ~Resume() {
      if (pid > 0) kill(pid, SIGCONT);
    }
  } resume;
  run("invoker-sigstop-3s", [&] {
    // SIGCONT: it finds its connection closed, exits and is started again.
    resume.pid = faulted_invoker = platform->invokers().at(home);
    EXPECT_EQ(kill(resume.pid, SIGSTOP), 0);
    std::this_thread::sleep_for(std::chrono::seconds(3));
    kill(resume.pid, SIGCONT);
    return Clock::now();
  });
}

TEST_F(ChaosTest, ControllerKilledAndRestarted) {
  ASSERT_NO_FATAL_FAILURE(start());
  run("controller-sigkill-restart", [&] {
    for (const auto& [name, pid] : platform->invokers()) strays.push_back(pid);
    controller = 0;
    EXPECT_EQ(kill(platform->pid(), SIGKILL), 0);
    platform.reset();  // reaps it
    const auto ended = Clock::now();  // the operator starts it again at once
    start();
    return ended;
  });
}

TEST_F(ChaosTest, DataDirectoryDiskFull) {
  if (geteuid() != 0) GTEST_SKIP() << "the data directory's small tmpfs needs root to mount";
  tmpfs.emplace(data, 16);
  if (!tmpfs->mounted()) GTEST_SKIP() << "cannot mount a tmpfs on " << data << ": " << tmpfs->error();
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string filler = data + "/filler";
  struct Remove {  // the disk is freed on any exit
    std::string path;
    ~Remove() { std::filesystem::remove(path); }
  } remove{filler};
  run("data-disk-full-2s", [&] {
    {
      std::ofstream out(filler, std::ios::binary);
      const std::string mb(1 << 20, 'x');
      for (int i = 0; i < 64 && out; ++i) out.write(mb.data(), static_cast<std::streamsize>(mb.size())) << std::flush;
      EXPECT_FALSE(out) << "16 MB tmpfs not full after 64 MB";
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
    std::filesystem::remove(filler);
    return Clock::now();
  });
}

}  // namespace

namespace {

// Found by the chaos test: a blocking invocation was answered with its record while that record still
// waited (up to 2 ms) in the store's queue, so a controller killed right after the answer lost it — the
// id then resolved to 404, or to "ended by that stop" when its journal row had been committed alone.
TEST(ChaosFound, ABlockingAnswerIsOnDiskBeforeItIsSent) {
  hearth::testing::TempDir dir;
  const std::string data = dir.str() + "/data";
  std::vector<pid_t> strays;
  struct KillStrays {
    std::vector<pid_t>& pids;
    ~KillStrays() {
      for (pid_t pid : pids)
        if (is_hearth(pid)) kill(pid, SIGKILL);
    }
  } kill_strays{strays};
  for (int round = 0; round < 3; ++round) {
    std::string id;
    json answer;
    {
      Platform platform(data, "--invokers 1 --prewarm none --sandbox off");
      HttpClient client("127.0.0.1", platform.port());
      if (round == 0) {
        ASSERT_EQ(client.send({"PUT", "/api/v1/namespaces/_/actions/noop", platform.auth(),
                               json{{"exec", {{"kind", "native"}, {"code", hearth::net::base64_encode(slurp(HEARTH_NATIVE_NOOP))}}}}.dump()})
                      .status, 200);
      }
      const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/noop?blocking=true", platform.auth(), R"({"round":1})"});
      for (const auto& [name, pid] : platform.invokers()) strays.push_back(pid);
      kill(platform.pid(), SIGKILL);  // at once: within the store's gathering window
      ASSERT_EQ(r.status, 200) << r.body;
      answer = json::parse(r.body);
      id = answer["activationId"];
    }
    Platform platform(data, "--invokers 1 --prewarm none --sandbox off");
    HttpClient client("127.0.0.1", platform.port());
    const auto got = client.send({"GET", "/api/v1/namespaces/_/activations/" + id, platform.auth(), ""});
    ASSERT_EQ(got.status, 200) << "round " << round << ": the answered activation " << id << " is gone";
    EXPECT_EQ(json::parse(got.body), answer) << "round " << round;
  }
}

}  // namespace
