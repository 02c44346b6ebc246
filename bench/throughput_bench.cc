// Warm throughput of the live platform on loopback, against a bare HTTP round trip in the same run.
//   build/throughput_bench [--requests N] [--connections C] [--concurrency K] [--only SUBSTRING]
// The platform runs in-process as `hearth up` wires it (Store + RuntimeContainerFactory, unsandboxed +
// LocalDispatcher with one invoker of K execution slots + Api + HttpServer on 127.0.0.1). A small asio
// client drives a bounded number of blocking invokes (`?blocking=true&result=true`) from C keep-alive
// connections, each with one request in flight, and reports invocations/s and client-observed p50/p99.
// Cases (each after a warm-up that leaves one idle container per function, so the measured phase is warm):
//   healthz            GET /healthz — the baseline: the HTTP server and client alone
//   native x1          native no-op (HEARTH_NATIVE_NOOP), one function
//   python x1          Python no-op, one function
//   native x100        the same load spread round-robin over 100 native no-op functions
//   python x100        the same over 100 Python no-op functions
//   healthz latency    one connection, sequential: the baseline round trip without queueing
//   native latency     one connection, sequential: the warm path's latency (the overhead target:
//                      a native no-op's own run time is ~1 µs, so this is the platform's overhead)
// `ratio` is the case's throughput over its baseline's (healthz for the concurrent cases, healthz latency
// for the sequential one); `cold` counts cold starts during the measured phase; `wait p50` and `run p50`
// are the medians of the newest activation records' wait_us (API to the invoker's thread, queueing
// included) and run_us (the runtime round trip, the function's own time included).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>  // before Boost 1.74 asio, which uses std::exchange without including it
#include <vector>

#include <boost/asio.hpp>

#include "controller/api.h"
#include "controller/store.h"
#include "net/base64.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "invoker/local_dispatcher.h"
#include "invoker/runtime_container_factory.h"

namespace {

using namespace hearth;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct CaseResult {
  double seconds = 0;
  std::size_t ok = 0, failed = 0;
  double p50_us = 0, p99_us = 0;
};

// One keep-alive connection with one request in flight; requests are pre-formatted bytes.
class Connection {
 public:
  Connection(asio::io_context& io, const tcp::endpoint& ep, const std::vector<std::string>& requests,
             std::atomic<std::size_t>& next, std::size_t total, CaseResult& result, std::vector<float>& latencies)
      : socket_(io), requests_(requests), next_(next), total_(total), result_(result), latencies_(latencies) {
    socket_.connect(ep);
    socket_.set_option(tcp::no_delay(true));
  }
  void start() { send(); }

 private:
  void send() {
    const std::size_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= total_) return;
    const std::string& req = requests_[i % requests_.size()];
    sent_ = Clock::now();
    asio::async_write(socket_, asio::buffer(req), [this](boost::system::error_code ec, std::size_t) {
      if (ec) return fail();
      have_ = 0;
      read();
    });
  }
  void read() {
    if (buf_.size() - have_ < 4096) buf_.resize(buf_.size() * 2);
    socket_.async_read_some(asio::buffer(buf_.data() + have_, buf_.size() - have_),
                            [this](boost::system::error_code ec, std::size_t n) {
                              if (ec) return fail();
                              have_ += n;
                              if (!complete()) return read();
                              send();
                            });
  }
  // True once a whole response is in the buffer (headers + Content-Length bytes); records it.
  bool complete() {
    const std::string_view text(buf_.data(), have_);
    const auto end = text.find("\r\n\r\n");
    if (end == std::string_view::npos) return false;
    std::size_t length = 0;
    const auto cl = text.substr(0, end).find("Content-Length: ");
    if (cl != std::string_view::npos) length = std::strtoul(buf_.data() + cl + 16, nullptr, 10);
    if (have_ < end + 4 + length) return false;
    latencies_.push_back(std::chrono::duration<float, std::micro>(Clock::now() - sent_).count());
    if (text.starts_with("HTTP/1.1 200")) {
      ++result_.ok;
    } else {
      if (++result_.failed <= 3) std::fprintf(stderr, "unexpected response: %.*s\n", int(std::min<std::size_t>(have_, 300)), buf_.data());
    }
    return true;
  }
  void fail() {
    ++result_.failed;
    std::fprintf(stderr, "connection error\n");
  }

  tcp::socket socket_;
  const std::vector<std::string>& requests_;
  std::atomic<std::size_t>& next_;
  std::size_t total_;
  CaseResult& result_;
  std::vector<float>& latencies_;
  std::vector<char> buf_ = std::vector<char>(16384);
  std::size_t have_ = 0;
  Clock::time_point sent_;
};

// Sends `total` requests (round-robin over `requests`) from `connections` connections on one client thread.
CaseResult drive(std::uint16_t port, const std::vector<std::string>& requests, std::size_t total, int connections) {
  asio::io_context io;
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  std::atomic<std::size_t> next{0};
  CaseResult result;
  std::vector<float> latencies;
  latencies.reserve(total);
  std::vector<std::unique_ptr<Connection>> conns;
  for (int i = 0; i < connections; ++i)
    conns.push_back(std::make_unique<Connection>(io, ep, requests, next, total, result, latencies));
  const auto start = Clock::now();
  for (auto& c : conns) c->start();
  io.run();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    result.p50_us = latencies[latencies.size() / 2];
    result.p99_us = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
  }
  return result;
}

std::string request_bytes(const std::string& method, const std::string& target, const std::string& auth,
                          const std::string& body) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  if (!auth.empty()) r += "Authorization: " + auth + "\r\n";
  if (method != "GET") r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + body;
}

std::string invoke_bytes(const std::string& action, const std::string& auth) {
  return request_bytes("POST", "/api/v1/namespaces/_/actions/" + action + "?blocking=true&result=true", auth, "{}");
}

const char* string_arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

long arg(int argc, char** argv, const char* name, long fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::strtol(argv[i + 1], nullptr, 10);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t requests = static_cast<std::size_t>(arg(argc, argv, "--requests", 30000));
  const int connections = static_cast<int>(arg(argc, argv, "--connections", 16));
  const int concurrency = static_cast<int>(arg(argc, argv, "--concurrency", 4));
  const std::string only = string_arg(argc, argv, "--only", "");  // cases to run besides the baseline

  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("hearth_tput_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ifstream so(HEARTH_NATIVE_NOOP, std::ios::binary);
  const std::string native_b64 = net::base64_encode(std::string((std::istreambuf_iterator<char>(so)), {}));
  const std::string python_code = "def main(args):\n    return args\n";

  std::vector<std::pair<std::string, CaseResult>> results;
  {
    controller::Store store((dir / "hearth.db").string());
    store.put_namespace("guest", "uuid", "key");
    const auto deploy = [&](const std::string& name, const std::string& kind, const std::string& code) {
      net::ActionRecord a{"guest", name, kind, code};
      a.memory_mb = 64;
      store.put_action(a, false);
    };
    deploy("native", "native", native_b64);
    deploy("python", "python:3", python_code);
    for (int i = 0; i < 100; ++i) {
      deploy("native" + std::to_string(i), "native", native_b64);
      deploy("python" + std::to_string(i), "python:3", python_code);
    }
    invoker::RuntimeContainerFactory factory((dir / "code").string(), /*sandboxed=*/false);
    invoker::LocalDispatcherConfig dc;
    dc.invokers = 1;
    dc.concurrency = concurrency;
    dc.invoker_memory_mb = 64 * 1024;  // room for every container the 100-function cases keep
    dc.keepalive = "ttl:10m";
    invoker::LocalDispatcher dispatcher(factory, dc);
    controller::Api api(store, dispatcher);
    net::HttpServer server(api, net::HttpServerConfig{});
    const std::uint16_t port = server.port();
    const std::string auth = net::basic_auth("uuid", "key");

    std::printf("throughput_bench: %zu requests per case, %d connections, 1 invoker x %d slots, %ld cores\n", requests,
                connections, concurrency, sysconf(_SC_NPROCESSORS_ONLN));
    std::printf("%-16s %10s %8s %10s %10s %8s %7s %9s %9s\n", "case", "inv/s", "ratio", "p50 us", "p99 us", "failed", "cold",
                "wait p50", "run p50");
    double baseline = 0, latency_baseline = 0;
    const auto run_case = [&](const std::string& name, const std::vector<std::string>& reqs, int conns, std::size_t n) {
      const bool is_baseline = name.starts_with("healthz");
      if (!is_baseline && name.find(only) == std::string::npos) return;
      // Warm-up: each distinct request once, sequentially (a cold start per function), then a short
      // concurrent burst so every execution slot has its container.
      drive(port, reqs, reqs.size(), 1);
      drive(port, reqs, std::min<std::size_t>(n / 10, 2000), conns);
      const std::uint64_t cold_before = dispatcher.stats().cold;
      CaseResult r = drive(port, reqs, n, conns);
      const double rate = static_cast<double>(r.ok) / r.seconds;
      double& base = conns == 1 ? latency_baseline : baseline;
      if (is_baseline) base = rate;
      // Where an invoke's time goes, from the case's newest activation records (platform-side clocks):
      // wait = API to the invoker's thread (queueing included), run = the runtime round trip.
      std::vector<std::int64_t> wait, run;
      if (!is_baseline)
        for (const auto& a : store.list_activations("guest", "", static_cast<int>(std::min<std::size_t>(n, 5000)), 0)) {
          wait.push_back(a.wait_us);
          run.push_back(a.run_us);
        }
      const auto median = [](std::vector<std::int64_t>& v) {
        std::sort(v.begin(), v.end());
        return v.empty() ? 0LL : static_cast<long long>(v[v.size() / 2]);
      };
      std::printf("%-16s %10.0f %8.3f %10.0f %10.0f %8zu %7llu %9lld %9lld\n", name.c_str(), rate, rate / base, r.p50_us,
                  r.p99_us, r.failed, static_cast<unsigned long long>(dispatcher.stats().cold - cold_before), median(wait),
                  median(run));
      std::fflush(stdout);
      results.emplace_back(name, r);
    };
    run_case("healthz", {request_bytes("GET", "/healthz", "", "")}, connections, requests);
    run_case("native x1", {invoke_bytes("native", auth)}, connections, requests);
    run_case("python x1", {invoke_bytes("python", auth)}, connections, requests);
    std::vector<std::string> natives, pythons;
    for (int i = 0; i < 100; ++i) {
      natives.push_back(invoke_bytes("native" + std::to_string(i), auth));
      pythons.push_back(invoke_bytes("python" + std::to_string(i), auth));
    }
    run_case("native x100", natives, connections, requests);
    run_case("python x100", pythons, connections, requests);
    run_case("healthz latency", {request_bytes("GET", "/healthz", "", "")}, 1, std::min<std::size_t>(requests, 10000));
    run_case("native latency", {invoke_bytes("native", auth)}, 1, std::min<std::size_t>(requests, 10000));
    server.stop();
    dispatcher.stop();
  }
  std::filesystem::remove_all(dir);
  for (const auto& [name, r] : results)
    if (r.failed) return 1;
  return 0;
}
