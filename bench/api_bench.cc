// Platform overhead of the HTTP API on loopback, without a function: a blocking invoke through the
// Beast server, basic auth, the SQLite store (activation record written) and a dispatcher that answers
// at once — against the baseline of a GET /healthz round trip on the same server and connection, and
// the same invoke answered before its record is committed (ApiConfig::answer_after_record_written).
// BM_Authenticate times the key check alone (Store::authenticate on a store file, as `hearth up` has it:
// one read by uuid on the read-only connection, a salted SHA-256, a constant-time compare), against
// BM_ActionLookup, the cached action lookup every invoke also does; BM_SaltedSha256 is its hashing part.
//   build/api_bench
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <chrono>
#include <vector>

#include "controller/api.h"
#include "controller/store.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "net/secrets.h"

namespace {

using namespace hearth::net;
using namespace hearth::invoker;
using namespace hearth::controller;

class InstantDispatcher final : public Dispatcher {
 public:
  void dispatch(InvocationRequest req, std::function<void(ActivationRecord)> done) override {
    ActivationRecord r;
    r.id = req.activation_id;
    r.ns = req.action.ns;
    r.action = req.action.name;
    r.status = "success";
    r.result_json = req.params_json;
    done(r);
  }
};

struct Platform {
  Store store{":memory:"};
  InstantDispatcher dispatcher;
  Api api;
  HttpServer server{api, HttpServerConfig{}};
  explicit Platform(ApiConfig config = {}) : api(store, dispatcher, config) {
    store.put_namespace("guest", "uuid", "key");
    ActionRecord a{"guest", "noop", "native", ""};
    store.put_action(a, false);
  }
};

void run(benchmark::State& state, const HttpRequest& request, ApiConfig config = {}) {
  Platform p(config);
  HttpClient client("127.0.0.1", p.server.port());
  std::vector<double> us;
  us.reserve(100000);
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const auto r = client.send(request);
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    if (r.status != 200) state.SkipWithError("non-200 answer");
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
  state.counters["requests_per_second"] = benchmark::Counter(static_cast<double>(us.size()), benchmark::Counter::kIsRate);
}

// A store file in a fresh temporary directory with one namespace and one action; removed at the end.
struct StoreFile {
  std::string dir = [] {
    std::string t = "/tmp/hearth_api_bench_XXXXXX";
    return std::string(::mkdtemp(t.data()));
  }();
  std::unique_ptr<Store> store = std::make_unique<Store>(dir + "/hearth.db");
  Credentials guest = store->create_namespace("guest");
  StoreFile() {
    ActionRecord a{"guest", "noop", "native", ""};
    store->put_action(a, false);
  }
  ~StoreFile() {
    store.reset();
    for (const char* f : {"/hearth.db", "/hearth.db-wal", "/hearth.db-shm"}) std::remove((dir + f).c_str());
    ::rmdir(dir.c_str());
  }
};

void BM_Authenticate(benchmark::State& state) {
  StoreFile f;
  for (auto _ : state)
    if (!f.store->authenticate(f.guest.uuid, f.guest.key)) state.SkipWithError("refused");
}

// The hashing part of BM_Authenticate alone.
void BM_SaltedSha256(benchmark::State& state) {
  const std::string salt = secrets::random_hex(16), key = secrets::new_key();
  for (auto _ : state) benchmark::DoNotOptimize(secrets::salted_sha256_hex(salt, key));
}

void BM_ActionLookup(benchmark::State& state) {
  StoreFile f;
  for (auto _ : state)
    if (!f.store->get_action("guest", "noop")) state.SkipWithError("no action");
}

void BM_HealthzRoundTrip(benchmark::State& state) { run(state, HttpRequest{"GET", "/healthz", "", ""}); }
void BM_BlockingInvokeNoFunction(benchmark::State& state) {
  run(state, HttpRequest{"POST", "/api/v1/namespaces/_/actions/noop?blocking=true&result=true", basic_auth("uuid", "key"),
                         R"({"x":1})"});
}
// The same, answered as soon as the record is queued (before the chaos test): what waiting for the
// record's commit costs a blocking invoke.
void BM_BlockingInvokeAnsweredBeforeTheRecordIsWritten(benchmark::State& state) {
  ApiConfig config;
  config.answer_after_record_written = false;
  run(state, HttpRequest{"POST", "/api/v1/namespaces/_/actions/noop?blocking=true&result=true", basic_auth("uuid", "key"),
                         R"({"x":1})"}, config);
}

}  // namespace

BENCHMARK(BM_Authenticate)->Iterations(200000);
BENCHMARK(BM_SaltedSha256)->Iterations(200000);
BENCHMARK(BM_ActionLookup)->Iterations(200000);
BENCHMARK(BM_HealthzRoundTrip)->Iterations(20000)->UseRealTime();
BENCHMARK(BM_BlockingInvokeNoFunction)->Iterations(20000)->UseRealTime();
BENCHMARK(BM_BlockingInvokeAnsweredBeforeTheRecordIsWritten)->Iterations(20000)->UseRealTime();
BENCHMARK_MAIN();
