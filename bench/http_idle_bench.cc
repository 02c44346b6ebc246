// Idle connections against the API server (issue 11: "10,000 idle connections, then a normal request:
// answered"). A child process opens N keep-alive connections to an in-process HttpServer and leaves them
// idle (its own descriptor table, so the server may hold N of its own); then GET /healthz is timed over one
// more connection. N = 0 is the baseline measured in the same run.
//   build/http_idle_bench
// Counters: idle (connections the server holds while measuring), p50_us / p99_us per request, and
// refused (connections the server answered 503: must be 0 below --max-connections).
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "controller/api.h"
#include "net/http_client.h"
#include "net/http_server.h"

namespace {

using namespace hearth;

class NoDispatcher final : public invoker::Dispatcher {
 public:
  void dispatch(net::InvocationRequest, std::function<void(net::ActivationRecord)> done) override {
    done(net::ActivationRecord{});
  }
};

// Forks a child that holds `n` idle connections to `port` until `release` is closed; returns its pid.
pid_t hold_idle(std::uint16_t port, int n, int* release) {
  int ready[2], hold[2];
  if (pipe(ready) != 0 || pipe(hold) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    close(hold[1]);
    rlimit r{};
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int opened = 0;
    for (int i = 0; i < n; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) break;
      ++opened;
    }
    (void)!write(ready[1], &opened, sizeof opened);
    char c;
    (void)!read(hold[0], &c, 1);  // until the parent closes its end
    _exit(0);
  }
  close(ready[1]);
  close(hold[0]);
  int opened = 0;
  (void)!read(ready[0], &opened, sizeof opened);
  close(ready[0]);
  *release = hold[1];
  return pid;
}

void IdleConnections(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
  controller::Store store(":memory:");
  NoDispatcher dispatcher;
  controller::Api api(store, dispatcher);
  net::HttpServer server(api, net::HttpServerConfig{});
  int release = -1;
  const pid_t child = n > 0 ? hold_idle(server.port(), n, &release) : -1;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (server.stats().open < n && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const std::int64_t idle = server.stats().open;
  net::HttpClient client("127.0.0.1", server.port());
  std::vector<double> us;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const auto response = client.send({"GET", "/healthz", "", ""});
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    if (response.status != 200) state.SkipWithError("healthz did not answer 200");
  }
  std::sort(us.begin(), us.end());
  state.counters["idle"] = static_cast<double>(idle);
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[us.size() * 99 / 100];
  state.counters["refused"] = static_cast<double>(server.stats().refused_over_cap);
  if (child > 0) {
    close(release);
    waitpid(child, nullptr, 0);
  }
}

}  // namespace

BENCHMARK(IdleConnections)->Arg(0)->Arg(10000)->Iterations(5000)->UseRealTime()->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
