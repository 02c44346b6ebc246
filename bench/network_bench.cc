// Container networks (net/container_network.h; docs/network.md, BENCHMARKS.md "Particle"): root only.
//   BM_NetworkReady/<mode>/<N>: a burst of N containers of one tenant made network-ready (namespace,
//     veth, addresses, routes, nftables pinning and isolation) from a fresh ContainerNetworks; teardown untimed.
//     mode 1 = per-container, 2 = particle; warm 1 = the tenant has a container already (particle: its
//     namespace exists, so only the containers' addresses and pins are timed). Counters: ms per burst, us
//     per container.
//   BM_ColdStartConnect/<mode>: a sandboxed Python cold start (RuntimeContainerFactory::create + first run)
//     of a function that opens a TCP connection to a server on the bridge and returns the address the
//     server saw; mode 0 = none (no route to the bridge: the function connects to nothing and returns at
//     once; the baseline cold start), 1 = per-container, 2 = particle.
// Run: sudo build/network_bench  (skips with a message without root).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "invoker/runtime_container_factory.h"
#include "net/container_network.h"
#include "sandbox/sandbox.h"
#include "tests/net/peer_address_server.h"

namespace {

using namespace hearth;

net::NetworkConfig config(int mode) {
  net::NetworkConfig c;
  c.mode = mode == 2 ? net::NetworkMode::kParticle : net::NetworkMode::kPerContainer;
  c.subnet = "10.250.0.0/16";
  c.egress_nat = false;
  return c;
}

bool unsupported(benchmark::State& state, net::NetworkMode mode) {
  std::string why;
  if (!net::ContainerNetworks::supported(mode, &why) || sandbox::Sandbox::privilege(nullptr) != sandbox::Privilege::kRoot) {
    state.SkipWithError(("container networks unavailable: " + why).c_str());
    return true;
  }
  return false;
}

void BM_NetworkReady(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  const int n = static_cast<int>(state.range(1));
  const bool warm = state.range(2) != 0;
  if (unsupported(state, config(mode).mode)) return;
  double total_ms = 0;
  for (auto _ : state) {
    auto networks = std::make_unique<net::ContainerNetworks>(config(mode));
    if (warm) networks->attach("guest");  // the tenant exists already (particle: its namespace and veth)
    const std::vector<std::string> tenants(static_cast<std::size_t>(n), "guest");
    const auto start = std::chrono::steady_clock::now();
    const std::vector<net::NetworkAttachment> ready = networks->attach(tenants);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.SetIterationTime(s);
    total_ms += s * 1e3;
    benchmark::DoNotOptimize(ready.data());
    networks.reset();  // teardown: not part of network-ready
  }
  state.counters["burst_ms"] = total_ms / static_cast<double>(state.iterations());
  state.counters["us_per_container"] = total_ms * 1e3 / static_cast<double>(state.iterations()) / n;
}
BENCHMARK(BM_NetworkReady)
    ->ArgNames({"mode", "n", "warm"})
    ->ArgsProduct({{1, 2}, {1, 10, 100}, {0, 1}})
    ->Iterations(5)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_NetworkReady)
    ->ArgNames({"mode", "n", "warm"})
    ->ArgsProduct({{1, 2}, {1000}, {0, 1}})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_ColdStartConnect(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  std::string why;
  if (sandbox::Sandbox::privilege(&why) != sandbox::Privilege::kRoot) {
    state.SkipWithError(("needs root with writable cgroups: " + why).c_str());
    return;
  }
  if (mode != 0 && unsupported(state, config(mode).mode)) return;
  const auto dir = std::filesystem::temp_directory_path() / ("hearth-netbench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::unique_ptr<net::ContainerNetworks> networks;
  if (mode != 0) networks = std::make_unique<net::ContainerNetworks>(config(mode));
  const std::string gateway = networks ? networks->gateway() : "10.250.0.1";
  testing::PeerAddressServer server(networks ? gateway : "127.0.0.1");
  std::string code = "import socket\ndef main(args):\n";
  if (mode != 0)
    code += "    s = socket.create_connection(('" + gateway + "', " + std::to_string(server.port()) +
            "), timeout=2)\n    return {'seen': s.recv(64).decode()}\n";
  else
    code += "    return {'seen': 'no network'}\n";
  net::ActionRecord action{"guest", "connect", "python:3", code};
  std::vector<double> us;
  std::string failure;
  {
    invoker::RuntimeContainerFactory factory((dir / "code").string(), /*sandboxed=*/true, /*pool_size=*/4, /*zygotes=*/false);
    factory.set_networks(networks.get());
    for (auto _ : state) {
      const auto start = std::chrono::steady_clock::now();
      std::int64_t init_us = 0;
      std::string error;
      auto c = factory.create(action, &init_us, &error);
      if (!c) {
        failure = "cold start failed: " + error;
        break;
      }
      const auto out = c->run("{}", 10'000);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (out.status != "success" || out.result_json.find(mode ? "10.250." : "no network") == std::string::npos) {
        failure = "run failed: " + out.result_json;
        break;
      }
      state.SetIterationTime(s);
      us.push_back(s * 1e6);
      state.PauseTiming();
      c.reset();  // teardown (and the network's release) untimed
      state.ResumeTiming();
    }
  }
  networks.reset();
  std::filesystem::remove_all(dir);
  if (!failure.empty()) {
    state.SkipWithError(failure.c_str());
    return;
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_ms"] = us[us.size() / 2] / 1e3;
  state.counters["p90_ms"] = us[us.size() * 9 / 10] / 1e3;
}
BENCHMARK(BM_ColdStartConnect)->ArgName("mode")->DenseRange(0, 2)->Iterations(20)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
BENCHMARK_MAIN();
