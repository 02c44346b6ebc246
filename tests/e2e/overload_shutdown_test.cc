// End-to-end (issue 11, items 11 and 12): `hearth up` on 127.0.0.1 refuses invocations past its in-flight
// bound with 429 and OpenWhisk's body, losing none it accepted; and SIGTERM stops it within its drain
// timeout whatever functions do, recording what still ran as ended by the shutdown.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_client.h"
#include "controller/store.h"
#include "tests/e2e/platform.h"
#include "tests/trace/temp_dir.h"

namespace {

using nlohmann::json;
using hearth::net::HttpClient;
using hearth::testing::Platform;

// A Python action whose invocation writes its process id to the file `a['pidfile']` (when given), then
// sleeps `a['s']` seconds.
const char* kSleeper =
    "import os, time\n"
    "def main(a):\n"
    "    if 'pidfile' in a:\n"
    "        with open(a['pidfile'], 'w') as f:\n"
    "            f.write(str(os.getpid()))\n"
    "    time.sleep(a['s'])\n"
    "    return {'slept': a['s']}\n";

void deploy_sleeper(HttpClient& client, const Platform& platform, const std::string& name) {
  const json body = {{"exec", {{"kind", "python:3"}, {"code", kSleeper}}}, {"limits", {{"timeout", 300000}, {"memory", 256}}}};
  ASSERT_EQ(client.send({"PUT", "/api/v1/namespaces/_/actions/" + name, platform.auth(), body.dump()}).status, 200);
}

// The pid a function wrote to `path`, once it has (waits at most 20 s); 0 if it never did.
pid_t pid_in(const std::string& path) {
  for (int i = 0; i < 1000; ++i) {
    std::ifstream in(path);
    pid_t pid = 0;
    if (in >> pid && pid > 0) return pid;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

// Whether `pid` is gone within 5 s (killed with SIGKILL if not, so the test leaves nothing behind).
bool gone(pid_t pid) {
  for (int i = 0; i < 250; ++i) {
    if (kill(pid, 0) != 0 && errno == ESRCH) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  return false;
}

// Two functions that never return (one blocking invoke, whose client waits on its connection, and one
// non-blocking); SIGTERM with --drain-timeout 1s: the process exits within the drain timeout plus the
// invokers' 3 s stop grace (and slack), both activations are recorded as ended by the shutdown,
// and the functions' processes are gone. Before the drain timeout, a blocking invoke in flight held
// `hearth up` for the whole blocking wait (60 s).
TEST(Shutdown, SigtermStopsWithinTheDrainTimeoutWhateverFunctionsDo) {
  hearth::testing::TempDir dir;
  Platform platform(dir.str() + "/data", "--invokers 1 --prewarm none --sandbox off --drain-timeout 1s");
  ASSERT_GT(platform.port(), 0);
  HttpClient client("127.0.0.1", platform.port());
  deploy_sleeper(client, platform, "hang");
  const std::string blocking_pid = dir.str() + "/blocking.pid", async_pid = dir.str() + "/async.pid";
  std::thread blocked([&] {  // its answer never comes: the connection closes at the drain timeout
    HttpClient waiting("127.0.0.1", platform.port());
    try {
      waiting.send({"POST", "/api/v1/namespaces/_/actions/hang?blocking=true", platform.auth(),
                    json{{"s", 100000}, {"pidfile", blocking_pid}}.dump()});
    } catch (const std::exception&) {
    }
  });
  const auto accepted = client.send({"POST", "/api/v1/namespaces/_/actions/hang", platform.auth(),
                                     json{{"s", 100000}, {"pidfile", async_pid}}.dump()});
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string id = json::parse(accepted.body)["activationId"];
  const pid_t p1 = pid_in(blocking_pid), p2 = pid_in(async_pid);
  std::chrono::milliseconds took{0};
  const bool exited = platform.stop_within(std::chrono::seconds(15), &took);
  blocked.join();
  EXPECT_TRUE(exited) << "hearth up ignored SIGTERM for 15 s";
  EXPECT_LE(took.count(), 10000);  // 1 s drain + 3 s invoker stop grace + slack for a loaded machine
  EXPECT_GE(took.count(), 900);    // the functions were given the drain timeout
  ASSERT_GT(p1, 0);
  ASSERT_GT(p2, 0);
  EXPECT_TRUE(gone(p1));
  EXPECT_TRUE(gone(p2));

  hearth::controller::Store store(dir.str() + "/data/hearth.db");
  const auto record = store.get_activation("guest", id);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->status, "whisk internal error");
  EXPECT_NE(record->result_json.find("drain timeout (1s) passed"), std::string::npos) << record->result_json;
  int ended_by_shutdown = 0;
  for (const auto& a : store.list_activations("guest", "hang", 10, 0))
    ended_by_shutdown += a.result_json.find("drain timeout") != std::string::npos;
  EXPECT_EQ(ended_by_shutdown, 2);  // the blocking one too
}

// The probe of the drain without a hanging function: a short function still running at SIGTERM finishes
// within the drain and is recorded as it ended (success), and the stop does not wait for the timeout.
TEST(Shutdown, ARunningActivationFinishesWithinTheDrain) {
  hearth::testing::TempDir dir;
  Platform platform(dir.str() + "/data", "--invokers 1 --prewarm none --sandbox off --drain-timeout 20s");
  HttpClient client("127.0.0.1", platform.port());
  deploy_sleeper(client, platform, "short");
  const std::string pidfile = dir.str() + "/short.pid";
  const auto accepted = client.send({"POST", "/api/v1/namespaces/_/actions/short", platform.auth(),
                                     json{{"s", 1}, {"pidfile", pidfile}}.dump()});
  ASSERT_EQ(accepted.status, 202);
  const std::string id = json::parse(accepted.body)["activationId"];
  ASSERT_GT(pid_in(pidfile), 0);
  std::chrono::milliseconds took{0};
  EXPECT_TRUE(platform.stop_within(std::chrono::seconds(15), &took));
  EXPECT_LE(took.count(), 10000);
  hearth::controller::Store store(dir.str() + "/data/hearth.db");
  const auto record = store.get_activation("guest", id);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->status, "success") << record->result_json;
}

// --max-in-flight 2: two accepted invocations of a 1 s function fill the bound; the third is refused
// with 429 and OpenWhisk's body; both accepted ones are recorded as they ended (nothing lost), and then
// the namespace is admitted again.
TEST(Overload, TheInFlightBoundAnswers429AndLosesNothing) {
  hearth::testing::TempDir dir;
  Platform platform(dir.str() + "/data", "--invokers 1 --prewarm none --sandbox off --max-in-flight 2");
  HttpClient client("127.0.0.1", platform.port());
  deploy_sleeper(client, platform, "slow");
  const auto invoke = [&] {
    return client.send({"POST", "/api/v1/namespaces/_/actions/slow", platform.auth(), json{{"s", 1}}.dump()});
  };
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) {
    const auto r = invoke();
    ASSERT_EQ(r.status, 202) << r.body;
    ids.push_back(json::parse(r.body)["activationId"]);
  }
  const auto refused = invoke();
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(json::parse(refused.body)["error"], "Too many concurrent requests in flight (count: 2, allowed: 2).");
  for (const std::string& id : ids) {
    int status = 0;
    std::string body;
    for (int i = 0; i < 300 && status != 200; ++i) {
      const auto r = client.send({"GET", "/api/v1/namespaces/_/activations/" + id, platform.auth(), ""});
      status = r.status;
      body = r.body;
      if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_EQ(status, 200) << id;
    EXPECT_EQ(json::parse(body)["response"]["status"], "success") << body;
  }
  EXPECT_EQ(invoke().status, 202);
  const std::string metrics = client.send({"GET", "/metrics", platform.auth(), ""}).body;
  EXPECT_NE(metrics.find("hearth_api_refused_too_many_in_flight_total 1\n"), std::string::npos) << metrics;
}

}  // namespace
