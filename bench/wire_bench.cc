// The cost of running invokers as separate processes: the warm path of a native no-op through the HTTP
// API when the invoker is in the controller's process (`hearth up --in-process`: LocalDispatcher) and
// when it sits behind the wire protocol (`hearth up`: RemoteDispatcher → TCP on loopback → InvokerAgent
// → its LocalDispatcher), in the same run. The invoker runs as a thread of this process here (the
// protocol and sockets are the real ones; a separate process would add only scheduling noise).
//   build/wire_bench
// Counters: p50_us / p99_us client-observed per invoke (one keep-alive connection, sequential), and
// wire_hop_p50_us = this case's p50 minus the in-process p50 measured just before it; then how fast a
// down invoker is noticed (DetectDownInvoker/closed|silent).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "live/api.h"
#include "live/base64.h"
#include "live/http_client.h"
#include "live/http_server.h"
#include "live/invoker_agent.h"
#include "live/local_dispatcher.h"
#include "live/remote_dispatcher.h"
#include "live/runtime_container_factory.h"
#include "live/wire.h"

namespace {

using namespace hearth;

double g_in_process_p50 = 0;

std::string native_noop_b64() {
  std::ifstream so(HEARTH_NATIVE_NOOP, std::ios::binary);
  return live::base64_encode(std::string((std::istreambuf_iterator<char>(so)), {}));
}

// Sequential blocking invokes of a deployed native no-op through `dispatcher`; fills p50/p99 counters.
double measure(benchmark::State& state, live::Dispatcher& dispatcher) {
  live::Store store(":memory:");
  store.put_namespace("guest", "uuid", "key");
  live::ActionRecord a{"guest", "noop", "native", native_noop_b64()};
  store.put_action(a, false);
  live::Api api(store, dispatcher);
  live::HttpServer server(api, live::HttpServerConfig{});
  live::HttpClient client("127.0.0.1", server.port());
  const live::HttpRequest req{"POST", "/api/v1/namespaces/_/actions/noop?blocking=true&result=true",
                              live::basic_auth("uuid", "key"), "{}"};
  for (int i = 0; i < 100; ++i) client.send(req);  // the cold start, then warm-up
  std::vector<double> us;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const auto r = client.send(req);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    if (r.status != 200) state.SkipWithError("invoke failed");
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  return us[us.size() / 2];
}

live::LocalDispatcherConfig pool_config() {
  live::LocalDispatcherConfig c;
  c.keepalive = "ttl:10m";
  c.prewarm = "none";
  return c;
}

std::filesystem::path code_dir(const char* what) {
  return std::filesystem::temp_directory_path() / ("hearth_wire_bench_" + std::to_string(getpid()) + what);
}

void InProcess(benchmark::State& state) {
  live::RuntimeContainerFactory factory(code_dir("_local").string(), /*sandboxed=*/false);
  live::LocalDispatcher dispatcher(factory, pool_config());
  g_in_process_p50 = measure(state, dispatcher);
  std::filesystem::remove_all(code_dir("_local"));
}

void OverWire(benchmark::State& state) {
  live::RemoteDispatcher controller(live::RemoteDispatcherConfig{});
  live::RuntimeContainerFactory factory(code_dir("_wire").string(), /*sandboxed=*/false);
  live::InvokerAgentConfig config;
  config.controller = "127.0.0.1:" + std::to_string(controller.port());
  config.pool = pool_config();
  live::InvokerAgent agent(factory, config);
  std::thread serving([&] { agent.serve(); });
  controller.wait_for_invokers(1, 5000);
  const double p50 = measure(state, controller);
  if (g_in_process_p50 > 0) state.counters["wire_hop_p50_us"] = p50 - g_in_process_p50;
  agent.stop();
  serving.join();
  std::filesystem::remove_all(code_dir("_wire"));
}

// How long the controller takes to declare an invoker down: "closed" — its connection closes (a killed
// process); "silent" — it stops sending frames (a hung process or host: heartbeat timeout 1.5 s, checked
// every 100 ms). Timed from the last frame the invoker sent to the moment placement stops using it.
void DetectDownInvoker(benchmark::State& state, bool silent) {
  live::RemoteDispatcher controller(live::RemoteDispatcherConfig{});
  std::vector<double> ms;
  int n = 0;
  for (auto _ : state) {
    const int fd = live::wire::connect_tcp("127.0.0.1", controller.port());
    const std::string name = "probe" + std::to_string(n++);
    live::wire::send_frame(fd, nlohmann::json{{"type", "hello"}, {"name", name}, {"pid", 0},
                                              {"state", live::wire::to_json(live::InvokerState{4096, 0, 0, 0, {}, {}})}}.dump());
    controller.wait_for_invokers(1, 5000);
    const auto last_frame = std::chrono::steady_clock::now();
    if (!silent) close(fd);
    while (controller.wait_for_invokers(1, 0) == 1) std::this_thread::sleep_for(std::chrono::microseconds(200));
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - last_frame).count());
    if (silent) close(fd);
  }
  std::sort(ms.begin(), ms.end());
  state.counters["p50_ms"] = ms[ms.size() / 2];
  state.counters["max_ms"] = ms.back();
}

BENCHMARK(InProcess)->Iterations(20000)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(OverWire)->Iterations(20000)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(DetectDownInvoker, closed, false)->Iterations(20)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(DetectDownInvoker, silent, true)->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
