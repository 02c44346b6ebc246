// The cost of running invokers as separate processes: the warm path of a native no-op through the HTTP
// API when the invoker is in the controller's process (`hearth up --in-process`: LocalDispatcher) and
// when it sits behind the wire protocol (`hearth up`: RemoteDispatcher → TCP on loopback → InvokerAgent
// → its LocalDispatcher), in the same run. The invoker runs as a thread of this process here (the
// protocol and sockets are the real ones; a separate process would add only scheduling noise).
//   build/wire_bench
// Counters: p50_us / p99_us client-observed per invoke (one keep-alive connection, sequential), and
// wire_hop_p50_us = this case's p50 minus the in-process p50 measured just before it; then how fast a
// down invoker is noticed (DetectDownInvoker/closed|silent); then what a stale-state re-placement costs
// (StaleReplacement: a warm invocation placed once against one answered stale and placed again).
// TLS (live/wire_tls.h): OverWireTls is OverWire with the wire in TLS (a self-signed certificate made
// at start, pinned by the invoker), tls_over_plain_p50 its p50 over OverWire's measured just before;
// WireRoundTrip times the controller ↔ invoker round trip alone (dispatch → result, fake containers, no
// HTTP) on a plain and a TLS wire, interleaved, and reports tls_over_plain_p50.
// UnixRoundTrip: the same round trip on a plain TCP wire and on a Unix-socket wire (`hearth up`'s default
// for its own invokers since warm-uds5: net/wire_address.h), interleaved; unix_over_tcp_p50.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "controller/api.h"
#include "net/base64.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "invoker/invoker_agent.h"
#include "invoker/local_dispatcher.h"
#include "controller/remote_dispatcher.h"
#include "invoker/runtime_container_factory.h"
#include "net/wire.h"
#include "net/wire_tls.h"
#include "tests/invoker/fake_factory.h"
#include "tests/controller/raw_invoker.h"

namespace {

using namespace hearth;

double g_in_process_p50 = 0;
double g_over_wire_p50 = 0;

std::string native_noop_b64() {
  std::ifstream so(HEARTH_NATIVE_NOOP, std::ios::binary);
  return net::base64_encode(std::string((std::istreambuf_iterator<char>(so)), {}));
}

// Sequential blocking invokes of a deployed native no-op through `dispatcher`; fills p50/p99 counters.
double measure(benchmark::State& state, invoker::Dispatcher& dispatcher) {
  controller::Store store(":memory:");
  store.put_namespace("guest", "uuid", "key");
  net::ActionRecord a{"guest", "noop", "native", native_noop_b64()};
  store.put_action(a, false);
  controller::Api api(store, dispatcher);
  net::HttpServer server(api, net::HttpServerConfig{});
  net::HttpClient client("127.0.0.1", server.port());
  const net::HttpRequest req{"POST", "/api/v1/namespaces/_/actions/noop?blocking=true&result=true",
                              net::basic_auth("uuid", "key"), "{}"};
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

invoker::LocalDispatcherConfig pool_config() {
  invoker::LocalDispatcherConfig c;
  c.keepalive = "ttl:10m";
  c.prewarm = "none";
  return c;
}

std::filesystem::path code_dir(const char* what) {
  return std::filesystem::temp_directory_path() / ("hearth_wire_bench_" + std::to_string(getpid()) + what);
}

void InProcess(benchmark::State& state) {
  invoker::RuntimeContainerFactory factory(code_dir("_local").string(), /*sandboxed=*/false);
  invoker::LocalDispatcher dispatcher(factory, pool_config());
  g_in_process_p50 = measure(state, dispatcher);
  std::filesystem::remove_all(code_dir("_local"));
}

// A controller and one invoker agent on 127.0.0.1, over TLS when `tls` (a self-signed certificate
// for 127.0.0.1 in a temporary directory, given to the invoker as its CA), or joined on a Unix socket in
// a private temporary directory when `unix_socket`.
struct Wire {
  Wire(invoker::ContainerFactory& factory, bool tls, bool unix_socket = false) {
    controller::RemoteDispatcherConfig rc;
    rc.token = controller::testing::kToken;
    invoker::InvokerAgentConfig config;
    config.token = controller::testing::kToken;
    config.pool = pool_config();
    if (unix_socket) {
      cert_dir = code_dir("_uds");
      std::filesystem::create_directories(cert_dir);
      std::filesystem::permissions(cert_dir, std::filesystem::perms::owner_all);
      rc.unix_path = (cert_dir / "wire.sock").string();
    }
    if (tls) {
      std::filesystem::create_directories(cert_dir);
      net::wire::write_self_signed((cert_dir / "c.crt").string(), (cert_dir / "c.key").string(), "127.0.0.1");
      rc.tls_cert_file = (cert_dir / "c.crt").string();
      rc.tls_key_file = (cert_dir / "c.key").string();
      config.tls_ca_file = rc.tls_cert_file;
    }
    controller = std::make_unique<controller::RemoteDispatcher>(rc);
    config.controller = unix_socket ? "unix:" + rc.unix_path : "127.0.0.1:" + std::to_string(controller->port());
    agent = std::make_unique<invoker::InvokerAgent>(factory, config);
    serving = std::thread([this] { agent->serve(); });
    controller->wait_for_invokers(1, 5000);
  }
  ~Wire() {
    agent->stop();
    serving.join();
    agent.reset();
    controller.reset();
    std::filesystem::remove_all(cert_dir);
  }
  std::filesystem::path cert_dir = code_dir("_tls");
  std::unique_ptr<controller::RemoteDispatcher> controller;
  std::unique_ptr<invoker::InvokerAgent> agent;
  std::thread serving;
};

void OverWire(benchmark::State& state, bool tls) {
  {
    invoker::RuntimeContainerFactory factory(code_dir("_wire").string(), /*sandboxed=*/false);
    Wire wire(factory, tls);
    const double p50 = measure(state, *wire.controller);
    if (g_in_process_p50 > 0) state.counters["wire_hop_p50_us"] = p50 - g_in_process_p50;
    if (!tls) g_over_wire_p50 = p50;
    if (tls && g_over_wire_p50 > 0) state.counters["tls_over_plain_p50"] = p50 / g_over_wire_p50;
  }
  std::filesystem::remove_all(code_dir("_wire"));
}

// The wire alone on two wires interleaved (the same load for both): each iteration is one sequential
// dispatch → result of a fake container's echo on each (no HTTP, no runtime), the order alternating.
// Counters: p50/p99 of each (`a_name`_p50_us, …) and `b_name`_over_`a_name`_p50.
void interleaved_round_trips(benchmark::State& state, Wire& plain, Wire& tls, const std::string& a_name,
                             const std::string& b_name) {
  net::ActionRecord a{"guest", "echo", "python:3", "ok"};
  a.revision = 1;
  const auto once = [&](Wire& wire, std::vector<double>* us) {
    const auto start = std::chrono::steady_clock::now();
    std::promise<net::ActivationRecord> done;
    auto result = done.get_future();
    wire.controller->dispatch(net::InvocationRequest{a, R"({"payload":"0123456789abcdef"})", "bench", 0},
                              [&done](net::ActivationRecord r) { done.set_value(std::move(r)); });
    const bool ok = result.get().status == "success";
    if (us) us->push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    return ok;
  };
  for (int i = 0; i < 200; ++i) once(plain, nullptr), once(tls, nullptr);  // cold starts, then warm-up
  std::vector<double> plain_us, tls_us;
  bool ok = true, plain_first = true;
  for (auto _ : state) {
    if (plain_first) ok = once(plain, &plain_us) && once(tls, &tls_us) && ok;
    else ok = once(tls, &tls_us) && once(plain, &plain_us) && ok;
    plain_first = !plain_first;
  }
  if (!ok) state.SkipWithError("invoke failed");
  const auto pct = [](std::vector<double>& v, std::size_t num) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, v.size() * num / 100)];
  };
  const double plain_p50 = pct(plain_us, 50), tls_p50 = pct(tls_us, 50);
  state.counters[a_name + "_p50_us"] = plain_p50;
  state.counters[a_name + "_p99_us"] = pct(plain_us, 99);
  state.counters[b_name + "_p50_us"] = tls_p50;
  state.counters[b_name + "_p99_us"] = pct(tls_us, 99);
  state.counters[b_name + "_over_" + a_name + "_p50"] = tls_p50 / plain_p50;
}

void WireRoundTrip(benchmark::State& state) {
  invoker::FakeFactory plain_factory, tls_factory;
  Wire plain(plain_factory, false), tls(tls_factory, true);
  interleaved_round_trips(state, plain, tls, "plain", "tls");
}

void UnixRoundTrip(benchmark::State& state) {
  invoker::FakeFactory tcp_factory, unix_factory;
  Wire tcp(tcp_factory, false), unix_wire(unix_factory, false, true);
  interleaved_round_trips(state, tcp, unix_wire, "tcp", "unix");
}

// How long the controller takes to declare an invoker down: "closed" — its connection closes (a killed
// process); "silent" — it stops sending frames (a hung process or host: heartbeat timeout 1.5 s, checked
// every 100 ms). Timed from the last frame the invoker sent to the moment placement stops using it.
void DetectDownInvoker(benchmark::State& state, bool silent) {
  controller::RemoteDispatcherConfig rc;
  rc.token = controller::testing::kToken;
  controller::RemoteDispatcher controller(rc);
  std::vector<double> ms;
  int n = 0;
  for (auto _ : state) {
    std::string answer;
    const int fd = controller::testing::raw_invoker(controller.port(), "probe" + std::to_string(n++), controller::testing::kToken,
                                              &answer, net::InvokerState{4096, 0, 0, 0, 0, {}, {}});
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

// The cost of one stale-state re-placement (docs/wire-protocol.md), at the controller's dispatch (no
// HTTP): invokers a and b (no heartbeats: reports come only with results) both hold an idle container
// of a Python function, and sophon:MA/MA breaks their tie towards a. Each iteration, untimed, a 20 ms
// invocation takes a's container; then, timed, `replaced`: the controller still sees it idle, sends the
// next invocation to a expecting a warm start, a answers stale, and it runs warm on b. Once the 20 ms one
// has ended (a's report shows its container idle again), timed, `direct`: an invocation placed on a that
// runs warm there. Counters: p50 of each, their ratio and difference (interleaved: the same conditions).
void StaleReplacement(benchmark::State& state) {
  controller::RemoteDispatcherConfig rc;
  rc.token = controller::testing::kToken;
  rc.placement = "sophon:MA/MA,sample=0";
  rc.heartbeat_timeout_ms = 600'000;
  controller::RemoteDispatcher controller(rc);
  std::vector<std::unique_ptr<invoker::RuntimeContainerFactory>> factories;  // outlive the agents
  std::vector<std::unique_ptr<invoker::InvokerAgent>> agents;
  std::vector<std::thread> serving;
  for (const char* name : {"a", "b"}) {
    invoker::InvokerAgentConfig config;
    config.controller = "127.0.0.1:" + std::to_string(controller.port());
    config.token = controller::testing::kToken;
    config.name = name;
    config.pool = pool_config();
    config.heartbeat_ms = 600'000;
    factories.push_back(std::make_unique<invoker::RuntimeContainerFactory>(code_dir(name).string(), /*sandboxed=*/false));
    agents.push_back(std::make_unique<invoker::InvokerAgent>(*factories.back(), config));
    invoker::InvokerAgent* agent = agents.back().get();
    serving.emplace_back([agent] { agent->serve(); });
    controller.wait_for_invokers(static_cast<int>(agents.size()), 5000);  // slots: a, then b
  }
  net::ActionRecord f{"guest", "f", "python:3",
                       "import time\ndef main(args):\n    time.sleep(args.get('sleep_ms', 0) / 1000)\n    return {}\n"};
  f.revision = 1;
  const auto run = [&](const std::string& params) {
    auto done = std::make_shared<std::promise<net::ActivationRecord>>();
    auto result = done->get_future();
    controller.dispatch(net::InvocationRequest{f, params, "bench", 0},
                        [done](net::ActivationRecord r) { done->set_value(std::move(r)); });
    return result;
  };
  const auto timed = [&](std::vector<double>& us, const std::string& expect_invoker) {
    const auto start = std::chrono::steady_clock::now();
    const net::ActivationRecord r = run("{}").get();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    return r.start_kind == "warm" && r.invoker == expect_invoker;
  };
  // f cold on a, and while that runs, cold on b; then warm both up.
  auto on_a = run(R"({"sleep_ms": 200})");
  auto on_b = run("{}");
  bool ok = on_a.get().invoker == "a" && on_b.get().invoker == "b";
  std::vector<double> replaced_us, direct_us;
  for (auto _ : state) {
    auto holding = run(R"({"sleep_ms": 20})");  // takes a's container; the controller sees it idle
    ok = timed(replaced_us, "b") && ok;
    ok = holding.get().invoker == "a" && ok;
    ok = timed(direct_us, "a") && ok;
  }
  const std::uint64_t stale_answers = controller.invokers()[0].stale_answers;
  if (!ok || stale_answers != replaced_us.size()) state.SkipWithError("an invocation was not placed as the case assumes");
  const auto p50 = [](std::vector<double>& v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double replaced = p50(replaced_us), direct = p50(direct_us);
  state.counters["direct_p50_us"] = direct;
  state.counters["replaced_p50_us"] = replaced;
  state.counters["replaced_over_direct"] = replaced / direct;
  state.counters["replacement_cost_us"] = replaced - direct;
  for (auto& a : agents) a->stop();
  for (auto& t : serving) t.join();
  agents.clear();
  for (const char* name : {"a", "b"}) std::filesystem::remove_all(code_dir(name));
}

BENCHMARK(InProcess)->Iterations(20000)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(OverWire, plain, false)->Iterations(20000)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(OverWire, tls, true)->Iterations(20000)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(WireRoundTrip)->Iterations(20000)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(UnixRoundTrip)->Iterations(20000)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(DetectDownInvoker, closed, false)->Iterations(20)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(DetectDownInvoker, silent, true)->Iterations(5)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(StaleReplacement)->Iterations(300)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
